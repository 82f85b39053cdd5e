# Robot drivers (issue 7): the driver ABI loader, the safety layer, the episode loop over
# a driver, the sim and net drivers, the net-protocol server and its bench, and the fault
# kind names (fault.h) that sandboxed rollouts share. tracebot_agent links this library.
# Included from agent/CMakeLists.txt; the library is tracebot_drivers (agent/ is its
# public include dir: driver.h for plug-in authors, driver_host.h for the host side).

add_library(tracebot_drivers STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fault_kind.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_load.c
  ${CMAKE_CURRENT_LIST_DIR}/safety.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_episode.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_proto.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_net.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_sim.c
  ${CMAKE_CURRENT_LIST_DIR}/serve_sim.c
  ${CMAKE_CURRENT_LIST_DIR}/driver_bench.c)
tracebot_target(tracebot_drivers)
target_include_directories(tracebot_drivers PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(tracebot_drivers PUBLIC tracebot_envs PkgConfig::CJSON
                      Threads::Threads ${CMAKE_DL_LIBS} m)
target_link_libraries(tracebot_drivers PRIVATE tracebot_agent_util)
