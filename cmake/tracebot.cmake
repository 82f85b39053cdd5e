# Shared build settings: warnings and sanitizers are applied per target.

set(TRACEBOT_WARNINGS
  -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -Wformat=2 -Wvla)

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
