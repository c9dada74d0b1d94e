#include "analyzer/reader/module_tables.h"

#include <algorithm>
#include <iterator>
#include <vector>

#include "analyzer/reader/cursors.h"

namespace subcheck::reader {
namespace {

// The members of an initializer list, each with its field name when designated
// (`.m_slots = slots`) or its position otherwise.
struct Member {
  std::string designator;
  std::size_t position = 0;
  CXCursor value{};
};

std::vector<Member> members_of(CXCursor init_list) {
  std::vector<Member> members;
  std::size_t position = 0;
  for (CXCursor child : children_of(init_list)) {
    Member member;
    member.value = child;
    member.position = position++;
    if (clang_getCursorKind(child) == CXCursor_UnexposedExpr) {
      // `.field = value`: a MemberRef, then the value. A field of an anonymous union
      // (PySlot's `.sl_ptr`) may come with the union's own MemberRef first: the last names it.
      std::vector<CXCursor> parts = children_of(child);
      bool designated = parts.size() >= 2 && std::all_of(parts.begin(), parts.end() - 1, [](CXCursor part) {
                          return clang_getCursorKind(part) == CXCursor_MemberRef;
                        });
      if (designated) {
        member.designator = take(clang_getCursorSpelling(parts[parts.size() - 2]));
        member.value = parts.back();
      }
    }
    members.push_back(member);
  }
  return members;
}

// `.m_slots = slots` or `&slots[0]`: the array variable named.
void read_slots_member(CXCursor value, ModuleDefFact& def) {
  CXCursor target = strip_wrappers(value);
  if (clang_getCursorKind(target) == CXCursor_UnaryOperator) target = strip_wrappers(children_of(target).front());
  if (clang_getCursorKind(target) == CXCursor_DeclRefExpr) {
    CXCursor referenced = clang_getCursorReferenced(target);
    def.slots_usr = take(clang_getCursorUSR(referenced));
    def.slots_name = take(clang_getCursorSpelling(referenced));
  }
}

enum class SlotPart { id, value, ignored };

// Which part of a slot entry a member fills, by designator or by position.
SlotPart slot_part(const Member& member, SlotLayout layout) {
  const std::string& name = member.designator;
  if (layout == SlotLayout::module_def_slot) {
    bool is_id = name == "slot" || (name.empty() && member.position == 0);
    return is_id ? SlotPart::id : SlotPart::value;
  }
  if (name.empty()) {
    if (member.position == 0) return SlotPart::id;
    return member.position == 3 ? SlotPart::value : SlotPart::ignored;  // 1: flags, 2: reserved
  }
  if (name == "sl_id") return SlotPart::id;
  bool is_value =
      name == "sl_ptr" || name == "sl_func" || name == "sl_size" || name == "sl_int64" || name == "sl_uint64";
  return is_value ? SlotPart::value : SlotPart::ignored;
}

// PySlot_PTR's value is a braced union initialiser, `{(void*)(VALUE)}`: the value is inside.
CXCursor unbraced(CXCursor value) {
  if (clang_getCursorKind(value) != CXCursor_InitListExpr) return value;
  std::vector<CXCursor> inner = children_of(value);
  return inner.size() == 1 ? inner.front() : value;
}

// One entry; nothing for the terminator (id 0) or an entry whose id is not a constant.
std::optional<SlotFact> read_slot(SourceMap& map, CXCursor entry, SlotLayout layout) {
  SlotFact slot;
  slot.location = map.location_of(entry);
  bool have_id = false;
  for (const Member& member : members_of(entry)) {
    switch (slot_part(member, layout)) {
      case SlotPart::id:
        if (std::optional<std::int64_t> id = constant_value(member.value)) {
          slot.id = *id;
          have_id = true;
        }
        break;
      case SlotPart::value: {
        CXCursor value = unbraced(member.value);
        slot.value = map.text_of(value);
        slot.number = constant_value(value);
        break;
      }
      case SlotPart::ignored: break;
    }
  }
  if (!have_id || slot.id == 0) return std::nullopt;
  return slot;
}

}  // namespace

ModuleDefFact read_module_def(SourceMap& map, CXCursor var, const std::string& usr) {
  ModuleDefFact def;
  def.name = take(clang_getCursorSpelling(var));
  def.usr = usr;
  def.location = map.location_of(var);
  def.parse_errors = map.has_error_within(var);
  std::optional<CXCursor> init = initializer_of(var);
  if (init && clang_getCursorKind(*init) == CXCursor_InitListExpr) {
    static const char* const fields[] = {"m_base",  "m_name",     "m_doc",   "m_size", "m_methods",
                                         "m_slots", "m_traverse", "m_clear", "m_free"};
    std::size_t next_field = 0;
    for (const Member& member : members_of(*init)) {
      std::string field = member.designator;
      if (field.empty() && next_field < std::size(fields)) field = fields[next_field];
      for (std::size_t i = 0; i < std::size(fields); ++i) {
        if (field == fields[i]) next_field = i + 1;
      }
      if (field == "m_name") def.m_name = map.text_of(member.value);
      if (field == "m_size") def.m_size = constant_value(member.value);
      if (field == "m_slots") read_slots_member(member.value, def);
    }
  }
  return def;
}

SlotArrayFact read_slot_array(SourceMap& map, CXCursor var, const std::string& usr, SlotLayout layout) {
  SlotArrayFact array;
  array.name = take(clang_getCursorSpelling(var));
  array.usr = usr;
  array.location = map.location_of(var);
  array.parse_errors = map.has_error_within(var);
  std::optional<CXCursor> init = initializer_of(var);
  if (!init || clang_getCursorKind(*init) != CXCursor_InitListExpr) return array;
  for (CXCursor entry : children_of(*init)) {
    if (clang_getCursorKind(entry) != CXCursor_InitListExpr) continue;
    std::optional<SlotFact> slot = read_slot(map, entry, layout);
    if (slot) array.slots.push_back(std::move(*slot));
  }
  return array;
}

}  // namespace subcheck::reader
