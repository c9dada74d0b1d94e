// The report file (-o), written so that it is never empty or half-written: the text goes
// to a temporary file beside the target and is renamed over it only when complete. A
// target that exists and is not a regular file (/dev/null, a FIFO, /dev/stdout) is written
// directly: renaming over a device would replace it.
#pragma once

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace subcheck {

class AtomicOutput {
 public:
  // "" or "-": stdout. Otherwise the temporary file is created now, so that an unwritable
  // target is an error before a long scan (std::runtime_error naming it).
  explicit AtomicOutput(const std::string& target);
  ~AtomicOutput();  // removes the temporary file unless commit() renamed it
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  std::ostream& stream() { return out_ ? *out_ : file_; }

  // Flushes, syncs and renames the temporary file over the target; throws
  // std::runtime_error when any step fails (the target is then left as it was).
  void commit();

  bool to_terminal_stdout() const { return out_ == &std::cout; }

 private:
  std::ostream* out_ = nullptr;  // stdout, when that is the target
  std::ofstream file_;
  std::filesystem::path target_;
  std::filesystem::path temporary_;  // empty when writing directly
  bool committed_ = false;
};

}  // namespace subcheck
