# tracebot_report: the learning-curve figure and report.html of a run directory
# (agent/report.c). Included by agent/CMakeLists.txt; no GLFW or MuJoCo here (the
# image strip of episodes comes through a callback the viewer target provides).

if(NOT TARGET tracebot_report)
  find_package(PkgConfig REQUIRED)
  pkg_check_modules(CAIRO REQUIRED IMPORTED_TARGET cairo)
  pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
  add_library(tracebot_report STATIC ${CMAKE_CURRENT_LIST_DIR}/report.c)
  tracebot_target(tracebot_report)
  target_include_directories(tracebot_report PUBLIC ${CMAKE_CURRENT_LIST_DIR})
  target_link_libraries(tracebot_report PUBLIC PkgConfig::CAIRO PkgConfig::CJSON m)
  target_link_libraries(tracebot_report PRIVATE tracebot_agent_util)
endif()
