# Finds what spikeweave's targets link to; used by the build and by the
# installed package config alike. Optional components are found quietly.
include(CMakeFindDependencyMacro)
# Debian 12 quirk: xtensor's config pulls in xtl, which xsimd's target needs.
find_dependency(xtensor)
find_dependency(xsimd)
# Boost's own CONFIG package (FindBoost is deprecated).
find_dependency(Boost 1.74 CONFIG)
find_package(Boost 1.74 QUIET CONFIG COMPONENTS serialization iostreams)
find_dependency(nlohmann_json 3)
find_package(TBB QUIET CONFIG)
find_package(ZLIB QUIET)
# MPI (Debian: libopenmpi-dev), for spikeweave::mpi: its C API, without the
# deprecated C++ bindings.
set(MPI_CXX_SKIP_MPICXX ON)
find_package(MPI QUIET COMPONENTS CXX)
# HDF5 (.h5) through CMake's FindHDF5, which probes with the C compiler:
# enable C where one exists (spikeweave itself compiles no C).
if(NOT CMAKE_C_COMPILER_LOADED)
  include(CheckLanguage)
  check_language(C)
  if(CMAKE_C_COMPILER)
    enable_language(C)
  endif()
endif()
if(CMAKE_C_COMPILER_LOADED)
  find_package(HDF5 QUIET COMPONENTS C)
endif()
