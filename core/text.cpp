#include "core/text.h"

#include <cstddef>
#include <cstdint>

namespace subcheck {

bool is_valid_utf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80           ? 1
                         : (byte >> 5) == 0x6  ? 2
                         : (byte >> 4) == 0xE  ? 3
                         : (byte >> 3) == 0x1E ? 4
                                               : 0;
    if (length == 0 || i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((static_cast<unsigned char>(text[i + k]) >> 6) != 0x2) return false;
    }
    i += length;
  }
  return true;
}

namespace {

// RFC 3492's parameters and bias adaptation.
constexpr std::uint32_t kBase = 36, kTmin = 1, kTmax = 26, kSkew = 38, kDamp = 700;

std::uint32_t adapt(std::uint32_t delta, std::uint32_t points, bool first) {
  delta = first ? delta / kDamp : delta / 2;
  delta += delta / points;
  std::uint32_t k = 0;
  while (delta > ((kBase - kTmin) * kTmax) / 2) {
    delta /= kBase - kTmin;
    k += kBase;
  }
  return k + (kBase - kTmin + 1) * delta / (delta + kSkew);
}

int punycode_digit(char c) {
  if (c >= 'a' && c <= 'z') return c - 'a';
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= '0' && c <= '9') return c - '0' + 26;
  return -1;
}

void append_utf8(std::string& out, char32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

}  // namespace

std::optional<std::string> decode_export_punycode(std::string_view suffix) {
  std::u32string code_points;
  std::size_t delimiter = suffix.rfind('_');
  std::size_t in = 0;
  if (delimiter != std::string_view::npos) {
    for (char c : suffix.substr(0, delimiter)) {
      if (static_cast<unsigned char>(c) >= 0x80) return std::nullopt;
      code_points.push_back(static_cast<char32_t>(c));
    }
    in = delimiter + 1;
  }
  if (in >= suffix.size()) return std::nullopt;  // nothing encoded: not a PyInitU_ name
  std::uint32_t n = 0x80, bias = 72;
  std::uint64_t i = 0;
  while (in < suffix.size()) {
    std::uint64_t old_i = i, weight = 1;
    for (std::uint32_t k = kBase;; k += kBase) {
      if (in >= suffix.size()) return std::nullopt;
      int digit = punycode_digit(suffix[in++]);
      if (digit < 0) return std::nullopt;
      i += static_cast<std::uint64_t>(digit) * weight;
      std::uint32_t t = k <= bias ? kTmin : k >= bias + kTmax ? kTmax : k - bias;
      if (static_cast<std::uint32_t>(digit) < t) break;
      weight *= kBase - t;
      if (i > 0xFFFFFFFFu || weight > 0xFFFFFFFFu) return std::nullopt;  // no real name is that long
    }
    auto points = static_cast<std::uint32_t>(code_points.size() + 1);
    bias = adapt(static_cast<std::uint32_t>(i - old_i), points, old_i == 0);
    std::uint64_t code = n + i / points;
    if (code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return std::nullopt;
    n = static_cast<std::uint32_t>(code);
    i %= points;
    code_points.insert(code_points.begin() + static_cast<std::ptrdiff_t>(i), static_cast<char32_t>(n));
    ++i;
  }
  std::string out;
  for (char32_t code : code_points) append_utf8(out, code);
  return out;
}

}  // namespace subcheck
