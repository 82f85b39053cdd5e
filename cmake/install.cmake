# Installation: the shared library libtracebot (every module's code), the install layout,
# the CMake package (tracebot::tracebot), tracebot.pc and the Debian package.
#
#   bin/tracebot                       the command (its modules are linked in statically)
#   libexec/tracebot/tracebot-sandbox  the sandbox child, found relative to bin/ or lib/
#   lib/libtracebot.so.*               the library: every public header's functions
#   include/tracebot/*.h               the public headers (nothing from base/ or a module)
#   lib/cmake/tracebot/                find_package(tracebot) -> tracebot::tracebot
#   lib/pkgconfig/tracebot.pc          pkg-config --cflags --libs tracebot
#
# Included after every module is added, so TRACEBOT_MODULES is complete here.
include(CMakePackageConfigHelpers)

get_property(TRACEBOT_MODULE_LIBS GLOBAL PROPERTY TRACEBOT_MODULES)

# libtracebot.so: every module library's objects. The controller compiler
# (tracebot_sandbox_child, libtcc) stays out: only the tracebot-sandbox child runs it.
# The target is tracebot_shared because the command already is `tracebot`.
# The objects go in directly rather than as $<LINK_LIBRARY:WHOLE_ARCHIVE,...> archives: the
# modules link each other, and CMake repeats archives in the link line to order them, which
# whole-archive linking turns into duplicate definitions.
add_library(tracebot_shared SHARED)
set_target_properties(tracebot_shared PROPERTIES
  OUTPUT_NAME tracebot
  EXPORT_NAME tracebot
  VERSION ${PROJECT_VERSION}
  SOVERSION ${PROJECT_VERSION_MAJOR}
  LIBRARY_OUTPUT_DIRECTORY ${PROJECT_BINARY_DIR}/lib)
foreach(module ${TRACEBOT_MODULE_LIBS})
  target_sources(tracebot_shared PRIVATE $<TARGET_OBJECTS:${module}>)
endforeach()
# External dependencies: linking the modules (after their own objects, so no archive
# member is pulled in again) brings each one's: curl, cJSON, seccomp, cairo, GLFW and
# libpng (with the viewer), dl, m, pthread.
target_link_libraries(tracebot_shared PRIVATE ${TRACEBOT_MODULE_LIBS}
  CURL::libcurl PkgConfig::CJSON PkgConfig::SECCOMP Threads::Threads ${CMAKE_DL_LIBS} m)
# Only the public API is exported: every module-prefixed name followed by "(" in
# include/tracebot/ (a prefixed name there that is not a function matches nothing); module
# internals stay local to the library.
file(GLOB TRACEBOT_PUBLIC_HEADERS ${PROJECT_SOURCE_DIR}/include/tracebot/*.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${TRACEBOT_PUBLIC_HEADERS})
set(TRACEBOT_EXPORTS "")
foreach(header ${TRACEBOT_PUBLIC_HEADERS})
  file(STRINGS ${header} lines REGEX "[A-Za-z0-9_]\\(")
  foreach(line ${lines})
    string(REGEX MATCHALL "(ag|env|sim|tb|tr|vw)_[A-Za-z0-9_]*\\(" calls "${line}")
    list(APPEND TRACEBOT_EXPORTS ${calls})
  endforeach()
endforeach()
list(REMOVE_DUPLICATES TRACEBOT_EXPORTS)
list(SORT TRACEBOT_EXPORTS)
set(TRACEBOT_MAP_GLOBAL "")
foreach(call ${TRACEBOT_EXPORTS})
  string(REGEX REPLACE "\\($" "" name ${call})
  string(APPEND TRACEBOT_MAP_GLOBAL "    ${name};\n")
endforeach()
set(TRACEBOT_MAP ${PROJECT_BINARY_DIR}/libtracebot.map)
file(CONFIGURE OUTPUT ${TRACEBOT_MAP} CONTENT "/* libtracebot.so's exports (cmake/install.cmake). \
*/\n{\n  global:\n${TRACEBOT_MAP_GLOBAL}  local: *;\n};\n")
target_link_options(tracebot_shared PRIVATE LINKER:--version-script=${TRACEBOT_MAP})
set_property(TARGET tracebot_shared APPEND PROPERTY LINK_DEPENDS ${TRACEBOT_MAP})

# sim.h includes <mujoco/mujoco.h>: a consumer needs mujoco's headers.
target_link_libraries(tracebot_shared PUBLIC mujoco::mujoco)
target_include_directories(tracebot_shared INTERFACE
  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
# Every symbol resolved at link time (sanitizer and fuzzer runtimes come with the program).
if(NOT TRACEBOT_SANITIZE AND NOT TRACEBOT_FUZZ)
  target_link_options(tracebot_shared PRIVATE LINKER:--no-undefined)
endif()

# The executables and the library.
install(TARGETS tracebot RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tracebot-sandbox RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/tracebot)
install(TARGETS tracebot_shared EXPORT tracebotTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# The public headers (viewer.h only with the viewer in the library).
if(NOT TARGET tracebot_viewer)
  list(FILTER TRACEBOT_PUBLIC_HEADERS EXCLUDE REGEX "/viewer\\.h$")
endif()
install(FILES ${TRACEBOT_PUBLIC_HEADERS} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tracebot)

# The CMake package: tracebotConfig.cmake finds mujoco (for its headers) and imports
# tracebot::tracebot; the library's other dependencies are its own business.
set(TRACEBOT_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/tracebot)
install(EXPORT tracebotTargets NAMESPACE tracebot:: DESTINATION ${TRACEBOT_CMAKE_DIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/tracebotConfig.cmake.in
  ${PROJECT_BINARY_DIR}/tracebotConfig.cmake INSTALL_DESTINATION ${TRACEBOT_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/tracebotConfigVersion.cmake
  COMPATIBILITY SameMajorVersion)
install(FILES ${PROJECT_BINARY_DIR}/tracebotConfig.cmake
  ${PROJECT_BINARY_DIR}/tracebotConfigVersion.cmake DESTINATION ${TRACEBOT_CMAKE_DIR})

# tracebot.pc, relocatable: its prefix is found from the file's own folder. Cflags carry
# mujoco's include folder when the compiler would not search it anyway.
get_target_property(mujoco_includes mujoco::mujoco INTERFACE_INCLUDE_DIRECTORIES)
set(TRACEBOT_PC_CFLAGS "")
foreach(dir ${mujoco_includes})
  if(EXISTS ${dir}/mujoco/mujoco.h)
    get_filename_component(dir ${dir} ABSOLUTE)
    if(NOT dir IN_LIST CMAKE_C_IMPLICIT_INCLUDE_DIRECTORIES)
      string(APPEND TRACEBOT_PC_CFLAGS " -I${dir}")
    endif()
    break()
  endif()
endforeach()
file(RELATIVE_PATH TRACEBOT_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig
  ${CMAKE_INSTALL_PREFIX})
string(REGEX REPLACE "/$" "" TRACEBOT_PC_TO_PREFIX "${TRACEBOT_PC_TO_PREFIX}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/tracebot.pc.in ${PROJECT_BINARY_DIR}/tracebot.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/tracebot.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The Debian package: `cpack -G DEB` in the build folder. Shared-library dependencies
# come from dpkg-shlibdeps (dpkg-dev); tcc provides the runtime archive (libtcc1.a) the
# sandbox links every controller with, read by path, so no tool can see that dependency.
set(TRACEBOT_PACKAGE_MAINTAINER
  "tracebot maintainers <maintainers@users.noreply.r-seed-5857eaaf.example>"
  CACHE STRING "Maintainer field of the Debian package")
set(CPACK_PACKAGE_NAME tracebot)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${TRACEBOT_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY ${PROJECT_DESCRIPTION})
set(CPACK_PACKAGE_DESCRIPTION
  "The tracebot command, its sandbox child, and libtracebot with its headers, CMake \
package and pkg-config file. Controllers are C functions compiled with libtcc in a \
sandboxed child process and optimized by an LLM (OptoPrime, OPRO) from episode feedback.")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION science)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "tcc")
# ffmpeg exports videos; mujoco's headers and pkg-config serve programs built on libtracebot.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "ffmpeg, libmujoco-dev, pkg-config")
include(CPack)
