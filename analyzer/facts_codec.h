// Facts of one translation unit as bytes and back: how a parse worker process
// (analyzer/parse_worker.h) hands its results to the scan. MessagePack through nlohmann-json.
#pragma once

#include <string>
#include <string_view>

#include "analyzer/facts.h"

namespace subcheck {

std::string encode_facts(const TranslationUnitFacts& facts);

// Throws std::runtime_error on bytes that are not a complete encoding of facts.
TranslationUnitFacts decode_facts(std::string_view bytes);

}  // namespace subcheck
