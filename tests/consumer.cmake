# Builds and runs tests/consumer against spikeweave, either installed to a
# temporary prefix and found with find_package (MODE=find_package) or pulled
# in with add_subdirectory (MODE=add_subdirectory). Also checks that a
# consumer configured without CMAKE_BUILD_TYPE is warned (it would build at
# -O0), that one configured in Release is not, and (find_package) that the
# installed spikeweave-plot runs.
file(REMOVE_RECURSE ${WORK_DIR})
set(consumer ${SOURCE_DIR}/tests/consumer)
set(build_type_warning "spikeweave: CMAKE_BUILD_TYPE is empty, so spikeweave_consumer compiles without optimisation")
if(MODE STREQUAL "find_package")
  execute_process(COMMAND ${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK_DIR}/lib -DSPIKEWEAVE_BUILD_TESTS=OFF
                          -DSPIKEWEAVE_BUILD_EXAMPLES=OFF -DSPIKEWEAVE_BUILD_BENCHMARKS=OFF
                          -DSPIKEWEAVE_INSTALL=ON -DCMAKE_INSTALL_PREFIX=${WORK_DIR}/prefix -DCMAKE_BUILD_TYPE=Release
                  COMMAND_ERROR_IS_FATAL ANY)
  # Built first: spikeweave::io is a compiled library (libspikeweave_io.a).
  execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/lib COMMAND_ERROR_IS_FATAL ANY)
  execute_process(COMMAND ${CMAKE_COMMAND} --install ${WORK_DIR}/lib COMMAND_ERROR_IS_FATAL ANY)
  set(plot ${WORK_DIR}/prefix/bin/spikeweave-plot)
  if(NOT EXISTS ${plot})
    message(FATAL_ERROR "the install has no ${plot}")
  endif()
  execute_process(COMMAND ${plot} --help RESULT_VARIABLE run OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT run EQUAL 0 OR NOT out MATCHES "usage: spikeweave-plot")
    message(FATAL_ERROR "${plot} --help did not run: ${run} ${out} ${err}")
  endif()
  message(STATUS "spikeweave-plot --help runs")
  set(args -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix -DSPIKEWEAVE_CONSUME=find_package)
else()
  set(args -DSPIKEWEAVE_CONSUME=add_subdirectory -DSPIKEWEAVE_SOURCE_DIR=${SOURCE_DIR})
endif()
# Without a build type: configured, with a warning that says how to fix it.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/build ${args}
                OUTPUT_VARIABLE out ERROR_VARIABLE err COMMAND_ERROR_IS_FATAL ANY)
string(REGEX REPLACE "[ \n]+" " " err_flat "${err}")
string(FIND "${err_flat}" "${build_type_warning}" at)
if(at EQUAL -1 OR NOT err_flat MATCHES "-DCMAKE_BUILD_TYPE=Release")
  message(FATAL_ERROR "configured without CMAKE_BUILD_TYPE, but no warning '${build_type_warning}':\n${err}")
endif()
# In Release: no warning.
execute_process(COMMAND ${CMAKE_COMMAND} -S ${consumer} -B ${WORK_DIR}/build ${args} -DCMAKE_BUILD_TYPE=Release
                OUTPUT_VARIABLE out ERROR_VARIABLE err COMMAND_ERROR_IS_FATAL ANY)
if(err MATCHES "CMAKE_BUILD_TYPE is empty")
  message(FATAL_ERROR "configured in Release, but warned about the build type:\n${err}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR}/build COMMAND_ERROR_IS_FATAL ANY)
execute_process(COMMAND ${WORK_DIR}/build/consumer RESULT_VARIABLE run OUTPUT_VARIABLE out)
if(NOT run EQUAL 0 OR NOT out MATCHES "consumer ok")
  message(FATAL_ERROR "the consumer did not run: ${run} ${out}")
endif()
message(STATUS "${out}")
