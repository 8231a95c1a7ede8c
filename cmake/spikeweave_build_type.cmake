# Warns, once per configure, when the project that uses spikeweave would build
# without optimisation by accident: with a single-configuration generator
# (Makefiles, Ninja) an empty CMAKE_BUILD_TYPE adds no -O flag at all, and a
# network then runs about 100 times slower than in Release. Used by the
# installed package (find_package) and by add_subdirectory alike.
# SPIKEWEAVE_NO_BUILD_TYPE_WARNING=ON silences it (e.g. when the optimisation
# flags come from add_compile_options).
function(spikeweave_check_build_type)
  get_property(multi_config GLOBAL PROPERTY GENERATOR_IS_MULTI_CONFIG)
  get_property(warned GLOBAL PROPERTY spikeweave_build_type_warned)
  if(multi_config OR CMAKE_BUILD_TYPE OR warned OR SPIKEWEAVE_NO_BUILD_TYPE_WARNING)
    return()
  endif()
  # Optimisation asked for another way (CXXFLAGS=-O2, -DCMAKE_CXX_FLAGS=-O3).
  if(CMAKE_CXX_FLAGS MATCHES "(^| )-O([1-3szg]|fast)( |$)")
    return()
  endif()
  set_property(GLOBAL PROPERTY spikeweave_build_type_warned TRUE)
  message(WARNING
    "spikeweave: CMAKE_BUILD_TYPE is empty, so ${CMAKE_PROJECT_NAME} compiles without optimisation (-O0) and "
    "simulations run about 100 times slower. Configure with -DCMAKE_BUILD_TYPE=Release (or RelWithDebInfo; "
    "Debug to debug on purpose). -DSPIKEWEAVE_NO_BUILD_TYPE_WARNING=ON silences this warning.")
endfunction()
spikeweave_check_build_type()
