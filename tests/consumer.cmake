# Builds and runs tests/consumer against spikeweave, either installed to a
# temporary prefix and found with find_package (MODE=find_package) or pulled
# in with add_subdirectory (MODE=add_subdirectory).
file(REMOVE_RECURSE ${WORK_DIR})
set(consumer ${SOURCE_DIR}/tests/consumer)
if(MODE STREQUAL "find_package")
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -DSPIKEWEAVE_BUILD_TESTS=OFF
                          -DSPIKEWEAVE_BUILD_EXAMPLES=OFF -DSPIKEWEAVE_BUILD_BENCHMARKS=OFF
                          -DSPIKEWEAVE_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix
                  COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${WORK_DIR}/lib COMMAND_ERROR_IS_FATAL ANY)
  set(args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DSPIKEWEAVE_CONSUME=find_package)
else()
  set(args -DSPIKEWEAVE_CONSUME=add_subdirectory -DSPIKEWEAVE_SOURCE_DIR=${SOURCE_DIR})
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/build ${args} COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE run OUTPUT_VARIABLE out)
if(NOT run EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer did not run: ${run} ${out}")
endif()
message(STATUS "${out}")
