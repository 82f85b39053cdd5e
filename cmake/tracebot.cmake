# Shared build settings: warnings and sanitizers are applied per target.

set(TRACEBOT_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wvla)

# A fuzzing build instruments every library, so the fuzz targets see coverage in the
# module code they link.
if(TRACEBOT_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(TRACEBOT_SANITIZE)
  add_compile_options(-fsanitize=${TRACEBOT_SANITIZE} -fno-omit-frame-pointer
                      -fno-sanitize-recover=all)
  add_link_options(-fsanitize=${TRACEBOT_SANITIZE})
endif()

# tracebot_target(NAME): the project's warning flags on one target.
function(tracebot_target name)
  target_compile_options(${name} PRIVATE ${TRACEBOT_WARNINGS})
  if(TRACEBOT_WERROR)
    target_compile_options(${name} PRIVATE -Werror)
  endif()
  target_compile_definitions(${name} PRIVATE _POSIX_C_SOURCE=200809L)
endfunction()

# tracebot_plugin(NAME SOURCE [DEFINE d]): a plug-in (a MODULE, no "lib" prefix, its entry
# symbol visible) built as its author would: the public headers only, no tracebot library.
function(tracebot_plugin name source)
  cmake_parse_arguments(P "" "DEFINE" "" ${ARGN})
  add_library(${name} MODULE ${source})
  tracebot_target(${name})
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include)
  target_link_libraries(${name} PRIVATE m)
  set_target_properties(${name} PROPERTIES PREFIX "" C_VISIBILITY_PRESET default)
  if(P_DEFINE)
    target_compile_definitions(${name} PRIVATE ${P_DEFINE})
  endif()
endfunction()

# tracebot_test(NAME SOURCES... LIBS libs... [TIMEOUT s]): one cmocka executable
# registered with ctest under its own timeout.
function(tracebot_test name)
  cmake_parse_arguments(T "" "TIMEOUT" "SOURCES;LIBS" ${ARGN})
  if(NOT T_TIMEOUT)
    set(T_TIMEOUT 60)
  endif()
  add_executable(${name} ${T_SOURCES})
  tracebot_target(${name})
  target_link_libraries(${name} PRIVATE ${T_LIBS} PkgConfig::CMOCKA)
  add_test(NAME ${name} COMMAND ${name})
  set_tests_properties(${name} PROPERTIES TIMEOUT ${T_TIMEOUT}
    ENVIRONMENT "TRACEBOT_SOURCE_DIR=${PROJECT_SOURCE_DIR};TRACEBOT_BINARY_DIR=${PROJECT_BINARY_DIR}")
endfunction()

# tracebot_module(NAME SOURCES... [PUBLIC_LIBS ...] [PRIVATE_LIBS ...]): one module's static
# library. Its own folder is a PRIVATE include directory (its headers stay inside it); the
# public headers come from include/ through tracebot_base. Every module library is also
# linked whole into the shared libtracebot (cmake/install.cmake).
function(tracebot_module name)
  cmake_parse_arguments(M "" "" "SOURCES;PUBLIC_LIBS;PRIVATE_LIBS" ${ARGN})
  add_library(${name} STATIC ${M_SOURCES})
  tracebot_target(${name})
  target_include_directories(${name} PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC tracebot_base ${M_PUBLIC_LIBS})
  if(M_PRIVATE_LIBS)
    target_link_libraries(${name} PRIVATE ${M_PRIVATE_LIBS})
  endif()
  set_property(GLOBAL APPEND PROPERTY TRACEBOT_MODULES ${name})
endfunction()

# tracebot_embed(OUT_VAR SYMBOL FILE): a generated C source holding FILE's bytes as
# `const char SYMBOL[]` and `const size_t SYMBOL_len`.
function(tracebot_embed out sym file)
  get_filename_component(stem ${file} NAME_WE)
  set(c ${CMAKE_CURRENT_BINARY_DIR}/embed_${sym}.c)
  add_custom_command(
    OUTPUT ${c}
    COMMAND ${CMAKE_COMMAND} -DIN=${file} -DOUT=${c} -DNAME=${sym}
            -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${file} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    VERBATIM)
  set(${out} ${c} PARENT_SCOPE)
endfunction()
