#include "analyzer/reader/module_tables.h"

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
      std::vector<CXCursor> parts = children_of(child);
      if (parts.size() == 2 && clang_getCursorKind(parts[0]) == CXCursor_MemberRef) {
        member.designator = take(clang_getCursorSpelling(parts[0]));
        member.value = parts[1];
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

}  // namespace

ModuleDefFact read_module_def(SourceMap& map, CXCursor var, const std::string& usr) {
  ModuleDefFact def;
  def.name = take(clang_getCursorSpelling(var));
  def.usr = usr;
  def.location = map.location_of(var);
  def.parse_errors = map.has_error_within(var);
  std::optional<CXCursor> init = initializer_of(var);
  if (init && clang_getCursorKind(*init) == CXCursor_InitListExpr) {
    static const char* const fields[] = {"m_base", "m_name", "m_doc",   "m_size", "m_methods",
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

SlotArrayFact read_slot_array(SourceMap& map, CXCursor var, const std::string& usr) {
  SlotArrayFact array;
  array.name = take(clang_getCursorSpelling(var));
  array.usr = usr;
  array.location = map.location_of(var);
  array.parse_errors = map.has_error_within(var);
  std::optional<CXCursor> init = initializer_of(var);
  if (!init || clang_getCursorKind(*init) != CXCursor_InitListExpr) return array;
  for (CXCursor entry : children_of(*init)) {
    if (clang_getCursorKind(entry) != CXCursor_InitListExpr) continue;
    SlotFact slot;
    slot.location = map.location_of(entry);
    bool have_id = false;
    for (const Member& member : members_of(entry)) {
      bool is_slot = member.designator == "slot" || (member.designator.empty() && member.position == 0);
      if (is_slot) {
        std::optional<std::int64_t> id = constant_value(member.value);
        if (id) {
          slot.id = *id;
          have_id = true;
        }
      } else {
        slot.value = map.text_of(member.value);
        slot.number = constant_value(member.value);
      }
    }
    if (have_id && slot.id != 0) array.slots.push_back(std::move(slot));
  }
  return array;
}

}  // namespace subcheck::reader
