# What `cmake --install` puts beside bin/subcheck (the cli target installs itself), and the
# Debian package CPack makes of it (`cpack -G DEB`, driven by ci/package.sh). Layout and
# dependencies are explained in docs/install.md.
#
#   bin/subcheck                              everything it needs at run time is inside:
#                                             the rule catalogue and the probe host's C source
#   share/subcheck/rules/*.toml               the catalogue, for reading (rules/CMakeLists.txt)
#   share/doc/subcheck/                       README.md and docs/
#   share/doc/subcheck/examples/example_project   the demo the README scans
#   share/man/man1/subcheck.1.gz              when help2man is found at configure time

install(FILES "${PROJECT_SOURCE_DIR}/README.md" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/docs/" DESTINATION "${CMAKE_INSTALL_DOCDIR}")
install(DIRECTORY "${PROJECT_SOURCE_DIR}/corpus/example_project" DESTINATION "${CMAKE_INSTALL_DOCDIR}/examples")

# The man page is `subcheck --help` as help2man lays it out, so it cannot drift from the
# binary. help2man is optional: without it there is simply no man page. Not in sanitizer
# builds, which are never installed and whose binary may exit non-zero on a leak report.
find_program(SUBCHECK_HELP2MAN help2man)
if(SUBCHECK_HELP2MAN AND NOT SUBCHECK_SANITIZE)
  set(man_page "${CMAKE_BINARY_DIR}/man/subcheck.1")
  add_custom_command(
    OUTPUT "${man_page}.gz"
    COMMAND ${CMAKE_COMMAND} -E make_directory "${CMAKE_BINARY_DIR}/man"
    COMMAND ${SUBCHECK_HELP2MAN} --no-info --no-discard-stderr --section 1
            --name "check Python C extensions for subinterpreter and free-threading hazards"
            --version-string "${PROJECT_VERSION}" --include "${CMAKE_CURRENT_LIST_DIR}/subcheck.h2m"
            --output "${man_page}" "$<TARGET_FILE:cli>"
    COMMAND gzip -9nf "${man_page}"
    DEPENDS cli "${CMAKE_CURRENT_LIST_DIR}/subcheck.h2m"
    COMMENT "Writing the man page with help2man")
  add_custom_target(man_page ALL DEPENDS "${man_page}.gz")
  install(FILES "${man_page}.gz" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
endif()

# ---- The Debian package: subcheck_<version>_<arch>.deb
# The libraries the binary links are found by dpkg-shlibdeps (libclang1-19, libarchive13,
# libelf1, libxxhash0, libstdc++6, libc6, ...). What it needs without linking it is
# declared here: libclang parses with its own builtin headers (stddef.h, stdarg.h: in
# libclang-common-N-dev, which libclang1-N does not pull in) and the C library's headers
# (every Python.h includes <stdio.h>), so without them no extension source parses.
string(REGEX MATCH "llvm-([0-9]+)" _llvm_dir "${SUBCHECK_LLVM_ROOT}")
set(SUBCHECK_LLVM_MAJOR "${CMAKE_MATCH_1}")
if(NOT SUBCHECK_LLVM_MAJOR)
  message(WARNING "SUBCHECK_LLVM_ROOT=${SUBCHECK_LLVM_ROOT} names no llvm-N: the Debian package will not "
                  "depend on libclang's builtin headers")
  set(_clang_headers "")
else()
  set(_clang_headers "libclang-common-${SUBCHECK_LLVM_MAJOR}-dev, ")
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME subcheck)
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "subcheck developers <subcheck@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "check Python C extensions for subinterpreter and free-threading hazards")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "${_clang_headers}libc6-dev")
# Probing (`scan --probe`, `probe`) compiles the embedded probe host at run time against
# the target interpreter's headers and libpython, with $CC or cc/gcc/clang. CPython 3.12+
# with headers is needed for any scan; bookworm has none packaged (docs/install.md).
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "gcc | c-compiler, python3-dev (>= 3.12) | python3.13-dev | python3.12-dev")
# CPack puts the summary above this as the description's first line.
set(CPACK_DEBIAN_PACKAGE_DESCRIPTION
    "subcheck reads the C and C++ sources of Python extension modules with libclang and
tells, per module, whether it can be imported in an isolated subinterpreter
(PEP 684/734) and on free-threaded CPython (PEP 703), and which lines stand in the
way. With --probe it also imports built modules in real interpreters, each probe in
a sandboxed child process; for that it compiles its probe host with a C compiler
against the target Python's headers.")
include(CPack)
