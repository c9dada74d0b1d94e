// Reads the dynamic symbol table of a shared object with libelf.
#include "prober/elf_symbols.h"

#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string_view>

namespace subcheck::prober {
namespace {

// libelf must be told which ELF version the caller understands before anything else.
bool libelf_ready() {
  static const bool ready = elf_version(EV_CURRENT) != EV_NONE;
  return ready;
}

class ElfFile {
 public:
  explicit ElfFile(const std::filesystem::path& file) {
    fd_ = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ >= 0) elf_ = elf_begin(fd_, ELF_C_READ, nullptr);
  }
  ~ElfFile() {
    if (elf_ != nullptr) elf_end(elf_);
    if (fd_ >= 0) ::close(fd_);
  }
  ElfFile(const ElfFile&) = delete;
  ElfFile& operator=(const ElfFile&) = delete;

  int fd() const { return fd_; }
  Elf* elf() const { return elf_; }

 private:
  int fd_ = -1;
  Elf* elf_ = nullptr;
};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// PyInit_<name> (every CPython), PyModExport_<name> (PEP 793, CPython 3.15+), and their
// U forms for non-ASCII names (docs/cpython-behaviour.md #15, #22).
bool is_init_symbol(std::string_view name) {
  for (std::string_view prefix : {"PyInit_", "PyInitU_", "PyModExport_", "PyModExportU_"}) {
    if (starts_with(name, prefix) && name.size() > prefix.size()) return true;
  }
  return false;
}

void record_symbol(std::string_view name, const GElf_Sym& symbol, ElfSymbols& out) {
  const bool defined = symbol.st_shndx != SHN_UNDEF;
  const int binding = GELF_ST_BIND(symbol.st_info);
  const bool exported = binding == STB_GLOBAL || binding == STB_WEAK;
  if (defined) {
    if (exported && is_init_symbol(name)) out.init_symbols.emplace_back(name);
    return;
  }
  if (name == "_Py_MergeZeroLocalRefcount" || name == "_Py_DecRefShared") out.imports_free_threaded_refcount = true;
  if (name == "_Py_Dealloc") out.imports_gil_refcount = true;
  for (std::string_view wanted : kCApiImportsOfInterest) {
    if (name == wanted) out.c_api_imports.emplace_back(name);
  }
}

// Walks every SHT_DYNSYM section (there is one in practice).
bool read_dynamic_symbols(Elf* elf, ElfSymbols& out) {
  bool found_table = false;
  for (Elf_Scn* section = elf_nextscn(elf, nullptr); section != nullptr; section = elf_nextscn(elf, section)) {
    GElf_Shdr header;
    if (gelf_getshdr(section, &header) == nullptr || header.sh_type != SHT_DYNSYM) continue;
    found_table = true;
    Elf_Data* data = elf_getdata(section, nullptr);
    if (data == nullptr || header.sh_entsize == 0) continue;
    const std::size_t count = header.sh_size / header.sh_entsize;
    for (std::size_t i = 0; i < count; ++i) {
      GElf_Sym symbol;
      if (gelf_getsym(data, static_cast<int>(i), &symbol) == nullptr) break;
      const char* name = elf_strptr(elf, header.sh_link, symbol.st_name);
      if (name != nullptr) record_symbol(name, symbol, out);
    }
  }
  return found_table;
}

}  // namespace

std::variant<ElfSymbols, std::string> read_elf_symbols(const std::filesystem::path& file) {
  if (!libelf_ready()) return std::string("libelf is unusable (elf_version failed)");
  ElfFile elf_file(file);
  if (elf_file.fd() < 0) return "cannot open: " + std::string(std::strerror(errno));
  if (elf_file.elf() == nullptr || elf_kind(elf_file.elf()) != ELF_K_ELF) return std::string("not an ELF file");
  GElf_Ehdr header;
  if (gelf_getehdr(elf_file.elf(), &header) == nullptr) return std::string("corrupt ELF header");
  if (header.e_type != ET_DYN) return std::string("not an ELF shared object");
  ElfSymbols symbols;
  if (!read_dynamic_symbols(elf_file.elf(), symbols)) return std::string("no dynamic symbol table");
  std::sort(symbols.init_symbols.begin(), symbols.init_symbols.end());
  std::sort(symbols.c_api_imports.begin(), symbols.c_api_imports.end());
  symbols.c_api_imports.erase(std::unique(symbols.c_api_imports.begin(), symbols.c_api_imports.end()),
                              symbols.c_api_imports.end());
  symbols.init_symbols.erase(std::unique(symbols.init_symbols.begin(), symbols.init_symbols.end()),
                             symbols.init_symbols.end());
  return symbols;
}

}  // namespace subcheck::prober
