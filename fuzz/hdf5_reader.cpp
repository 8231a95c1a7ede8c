// Fuzz target: io::h5_reader on arbitrary bytes. Every dataset is listed, described and read in every way
// (read<T> for its dtype and for every other, read_string); the only exceptions allowed are spikeweave's own,
// and what is read must agree with info(). HDF5's C library does the parsing here and is not instrumented:
// AddressSanitizer sees its heap (malloc is intercepted), not its stack or globals.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include <hdf5.h>

#include <spikeweave/io/hdf5.hpp>

#include "common.hpp"
#include "readers.hpp"

namespace io = spikeweave::io;
namespace fz = spikeweave::fuzz;

namespace {

// A file as h5py writes it by default, through HDF5's C API: the oldest format (superblock 0, symbol tables, v1
// B-trees, local heaps), contiguous and chunked layouts, big-endian numbers, a variable-length string, a soft link,
// types numpy has no simple name for. h5_writer writes none of these.
void write_h5py_like(const std::string& path) {
  const hid_t file = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file < 0) fz::bug("seeds: H5Fcreate failed");
  const hsize_t dims[2] = {2, 3};
  const hid_t space2 = H5Screate_simple(2, dims, nullptr);
  const hid_t scalar = H5Screate(H5S_SCALAR);
  const hid_t group = H5Gcreate2(file, "populations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const double values[6] = {1, 2, 3, 4, 5, 6};
  // Contiguous, big-endian.
  hid_t set = H5Dcreate2(group, "v", H5T_IEEE_F64BE, space2, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
  H5Dclose(set);
  // Chunked and deflated, without Fletcher-32.
  const hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  const hsize_t chunk[2] = {1, 3};
  H5Pset_chunk(dcpl, 2, chunk);
  H5Pset_deflate(dcpl, 4);
  const std::int32_t ints[6] = {-1, 0, 1, 2, 3, 1 << 30};
  set = H5Dcreate2(file, "ints", H5T_STD_I32LE, space2, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Dwrite(set, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, ints);
  H5Dclose(set);
  H5Pclose(dcpl);
  // A variable-length UTF-8 string, as h5py writes a str.
  const hid_t vstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(vstr, H5T_VARIABLE);
  H5Tset_cset(vstr, H5T_CSET_UTF8);
  const char* text = R"({"format": "spikeweave-state", "dt": 0.1})";
  set = H5Dcreate2(file, "metadata", vstr, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, vstr, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text);
  H5Dclose(set);
  H5Tclose(vstr);
  // A space-padded fixed-length string.
  const hid_t fstr = H5Tcopy(H5T_C_S1);
  H5Tset_size(fstr, 8);
  H5Tset_strpad(fstr, H5T_STR_SPACEPAD);
  set = H5Dcreate2(file, "padded", fstr, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, fstr, H5S_ALL, H5S_ALL, H5P_DEFAULT, "ab      ");
  H5Dclose(set);
  H5Tclose(fstr);
  // A compound of two numbers.
  const hid_t compound = H5Tcreate(H5T_COMPOUND, 12);
  H5Tinsert(compound, "a", 0, H5T_STD_I32LE);
  H5Tinsert(compound, "b", 4, H5T_IEEE_F64LE);
  const unsigned char record[12] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xF0, 0x3F};
  set = H5Dcreate2(file, "compound", compound, scalar, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Dwrite(set, compound, H5S_ALL, H5S_ALL, H5P_DEFAULT, record);
  H5Dclose(set);
  H5Tclose(compound);
  H5Lcreate_soft("/populations/v", file, "link", H5P_DEFAULT, H5P_DEFAULT);
  H5Lcreate_hard(file, "ints", group, "again", H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(group);
  H5Sclose(scalar);
  H5Sclose(space2);
  if (H5Fclose(file) < 0) fz::bug("seeds: H5Fclose failed");
}

// Small valid files: h5_writer's (every dtype, shapes, nested names, strings, compressed or not) and an h5py-like one.
void write_seeds(const std::filesystem::path& dir) {
  const std::string tmp = (fz::scratch_dir() / "seed.h5").string();
  const std::vector<io::h5_options> variants = {{.compress = true}, {.compress = false}, {.compress = true, .level = 1}};
  for (std::size_t k = 0; k < variants.size(); ++k) {
    {
      io::h5_writer w(tmp, variants[k]);
      w.add("v", std::vector<double>{-65.0, -0.0, 1e308, 5e-324});
      w.add("grid", std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3});
      w.add("populations/E/v", std::vector<double>{-65.0, -64.5, -70.0});
      w.add("populations/E/spikes", std::vector<std::uint32_t>{3, 17});
      w.add("populations/I/refractory", std::vector<std::int32_t>{0, 2});
      w.add("count", std::vector<std::uint64_t>{42}, {});
      const bool flags[] = {true, false, true};
      w.add("flags", std::span<const bool>(flags));
      w.add("i1", std::vector<std::int8_t>{-128, 127});
      w.add("i2", std::vector<std::int16_t>{-1});
      w.add("i4", std::vector<std::int32_t>{});
      w.add("i8", std::vector<std::int64_t>{1, -1}, {2, 1, 1});
      w.add("u1", std::vector<std::uint8_t>{'h', 'i'});
      w.add("u2", std::vector<std::uint16_t>{65535, 1});
      w.add("scalar", std::vector<double>{0.1}, {});
      w.add_string("metadata", R"({"format": "spikeweave-state", "dt": 0.1, "text": "µ€"})");
      w.add_string("empty", "");
      w.close();
    }
    fz::write_seed(dir, "file_" + std::to_string(k) + ".h5", fz::slurp(tmp));
  }
  {
    io::h5_writer w(tmp, {.compress = false});
    w.add_string("s", "text");
    w.close();
  }
  fz::write_seed(dir, "string_only.h5", fz::slurp(tmp));
  {
    io::h5_writer w(tmp);
    w.close();
  }
  fz::write_seed(dir, "empty_file.h5", fz::slurp(tmp));
  write_h5py_like(tmp);
  fz::write_seed(dir, "h5py_like.h5", fz::slurp(tmp));
}

}  // namespace

// LeakSanitizer ignores what libhdf5 allocated itself. HDF5 1.10.8 leaks on damaged metadata: an object header
// whose checksum fails (H5O_protect -> H5C_protect -> the header's deserialize, H5FL_reg_calloc) is never freed,
// and no check short of reimplementing HDF5's checksums could keep such files from it (docs/fuzzing.md). A leak of
// spikeweave's own allocations, made from this binary, is still one.
extern "C" const char* __lsan_default_suppressions() { return "leak:libhdf5\n"; }

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fz::seeds_on_request(write_seeds);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string path = fz::input_file(data, size, ".h5");
  try {
    const io::h5_reader r(path);
    const std::vector<std::string> names = r.names();
    for (const std::string& name : names) {
      if (!r.contains(name)) fz::bug("names() lists '" + name + "', contains() denies it");
      try {
        fz::read_entry(r, name);
      } catch (const spikeweave::error&) {
      }
    }
    (void)r.contains("no such entry");
  } catch (const spikeweave::error& e) {
    fz::refused(e);
  }
  return 0;
}
