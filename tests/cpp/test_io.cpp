// Array files (tandem/io/io.h): round trips in memory and on disk, and
// malformed inputs raising std::invalid_argument naming the source.
#include <gtest/gtest.h>

#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "tandem/tandem.h"

using namespace tandem;

namespace {

array random_array(std::mt19937& gen, Shape shape, Dtype t) {
  std::uniform_real_distribution<float> dist(-100.f, 100.f);
  std::vector<float> v(shape_size(shape));
  for (auto& x : v) x = dist(gen);
  return array(v.data(), shape, t);
}

void expect_same(array a, array b) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  EXPECT_EQ(a.to_vector<double>(), b.to_vector<double>());
}

TEST(Io, NpyRoundTripEveryDtypeInMemory) {
  std::mt19937 gen(7);
  for (Dtype t : all_dtypes) {
    for (Shape shape : {Shape{}, Shape{0}, Shape{3, 4}, Shape{2, 0, 3}, Shape{2, 3, 4}}) {
      array a = random_array(gen, shape, t);
      std::string bytes;
      io::save_npy(*io::memory_writer(&bytes, "mem"), a);
      EXPECT_EQ(bytes.find('\n') % 64, 63u);  // the data starts 64-byte aligned
      array b = io::load_npy(*io::memory_reader(bytes.data(), bytes.size(), "mem"));
      expect_same(a, b);
    }
  }
}

TEST(Io, FilesOnDisk) {
  std::mt19937 gen(11);
  std::string dir = ::testing::TempDir();
  array a = random_array(gen, {4, 5}, float32);
  array at = transpose(a);  // non-contiguous source
  save(dir + "tandem_io_a", at);
  expect_same(load(dir + "tandem_io_a.npy"), at);

  io::NamedArrays named{{"x", at}, {"y", random_array(gen, {7}, bfloat16)}};
  for (bool compress : {false, true}) {
    savez(dir + "tandem_io_z", named, compress);
    auto back = load_npz(dir + "tandem_io_z.npz");
    ASSERT_EQ(back.size(), 2u);
    EXPECT_EQ(back[0].first, "x");
    expect_same(back[0].second, named[0].second);
    expect_same(back[1].second, named[1].second);
  }
  save_safetensors(dir + "tandem_io_s", named, {{"k", "v"}});
  auto st = load_safetensors(dir + "tandem_io_s.safetensors");
  ASSERT_EQ(st.metadata.size(), 1u);
  EXPECT_EQ(st.metadata[0].second, "v");
  ASSERT_EQ(st.arrays.size(), 2u);
  expect_same(st.arrays[0].second, at);
  for (const char* f : {"tandem_io_a.npy", "tandem_io_z.npz", "tandem_io_s.safetensors"}) {
    std::remove((dir + f).c_str());
  }
}

TEST(Io, GgufRoundTripWithMetadata) {
  std::mt19937 gen(13);
  std::string dir = ::testing::TempDir();
  array a = random_array(gen, {3, 4}, float16);
  array b = transpose(random_array(gen, {2, 5}, int32));
  io::GGUFMetadata meta{{"name", std::string("t")},
                        {"words", std::vector<std::string>{"a", "bc"}},
                        {"ids", array({1, 2, 3}, {3}, int64)},
                        {"scale", array(0.5f)}};
  // Names out of order: the file holds them sorted.
  save_gguf(dir + "tandem_io_g", {{"b", b}, {"a", a}}, meta);
  io::GGUF g = load_gguf(dir + "tandem_io_g.gguf");
  ASSERT_EQ(g.arrays.size(), 2u);
  EXPECT_EQ(g.arrays[0].first, "a");
  expect_same(g.arrays[0].second, a);
  expect_same(g.arrays[1].second, b);
  ASSERT_EQ(g.metadata.size(), 4u);
  EXPECT_EQ(std::get<std::string>(g.metadata[0].second), "t");
  EXPECT_EQ(std::get<std::vector<std::string>>(g.metadata[1].second),
            (std::vector<std::string>{"a", "bc"}));
  expect_same(std::get<array>(g.metadata[2].second), array({1, 2, 3}, {3}, int64));
  expect_same(std::get<array>(g.metadata[3].second), array(0.5f));
  EXPECT_THROW(save_gguf(dir + "tandem_io_g", {{"x", astype(array(1.f), float64)}}),
               std::invalid_argument);
  std::remove((dir + "tandem_io_g.gguf").c_str());
}

TEST(Io, LoadedArraysWorkInOps) {
  std::string bytes;
  array a = array({1.f, 2.f, 3.f, 4.f}, {2, 2});
  io::save_npy(*io::memory_writer(&bytes, "mem"), a);
  array b = io::load_npy(*io::memory_reader(bytes.data(), bytes.size(), "mem"));
  EXPECT_TRUE(b.is_available());
  EXPECT_EQ(add(b, matmul(b, b)).to_vector<float>(), (std::vector<float>{8, 12, 18, 26}));
}

TEST(Io, MalformedInputsThrowNamingTheSource) {
  std::string bytes;
  io::save_npy(*io::memory_writer(&bytes, "mem"), array({1, 2, 3}));
  auto expect_bad = [](const std::string& data, const char* what) {
    try {
      io::load_npy(*io::memory_reader(data.data(), data.size(), "blob"));
      ADD_FAILURE() << "no error for " << what;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("blob"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
    }
  };
  expect_bad(bytes.substr(0, bytes.size() - 1), "truncated");
  expect_bad("x" + bytes.substr(1), "magic");
  std::string huge = bytes;
  huge.replace(huge.find("(3,)"), 4, "(9999999999999,)");
  expect_bad(huge, "too large");
  std::string zip = "PK\x05\x06" + std::string(18, '\xff');
  EXPECT_THROW(io::load_npz(*io::memory_reader(zip.data(), zip.size(), "z")),
               std::invalid_argument);
  std::string st = std::string("\x02\0\0\0\0\0\0\0", 8) + "{}";
  EXPECT_NO_THROW(io::load_safetensors(*io::memory_reader(st.data(), st.size(), "s")));
  st[0] = 9;
  EXPECT_THROW(io::load_safetensors(*io::memory_reader(st.data(), st.size(), "s")),
               std::invalid_argument);
}

}  // namespace
