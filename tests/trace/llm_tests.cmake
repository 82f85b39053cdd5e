# Tests of the LLM clients (trace/llm*.c). Included from tests/trace/CMakeLists.txt.
# The HTTP tests talk to a libmicrohttpd mock server on 127.0.0.1 started by each test.

add_library(tracebot_llm_mock STATIC ${CMAKE_CURRENT_SOURCE_DIR}/mock_server.c)
tracebot_target(tracebot_llm_mock)
target_include_directories(tracebot_llm_mock PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(tracebot_llm_mock PUBLIC PkgConfig::MHD Threads::Threads)

foreach(t llm_codec llm_openai llm_anthropic llm_exec llm_replay llm_secrets)
  tracebot_test(test_${t} SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/test_${t}.c
                LIBS tracebot_trace tracebot_llm_mock TIMEOUT 30)
  # The private header (llm_internal.h) for the pure decode functions.
  target_include_directories(test_${t} PRIVATE ${PROJECT_SOURCE_DIR}/trace)
endforeach()
target_compile_definitions(test_llm_exec PRIVATE
  TRACEBOT_TEST_SCRIPTS="${CMAKE_CURRENT_SOURCE_DIR}/scripts")
