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

// A Q4_0 tensor of 2 x 64 (four blocks), written byte by byte as ggml lays
// blocks out (float16 scale d, then value i in the low nibble of byte i and
// i + 16 in its high one; value = d * (q - 8)), loads in quantize()'s
// affine layout and dequantizes to ggml's values.
TEST(Io, GgufQ4_0LoadsAsAffineQuantized) {
  std::mt19937 gen(5);
  std::string file;
  auto u32 = [&](uint32_t v) { file.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { file.append(reinterpret_cast<const char*>(&v), 8); };
  file += "GGUF";
  u32(3);
  u64(1);
  u64(0);
  u64(8);
  file += "w.weight";
  u32(2);
  u64(64);  // innermost first
  u64(2);
  u32(2);  // Q4_0
  u64(0);
  file.resize((file.size() + 31) / 32 * 32, '\0');
  std::vector<float> want;
  std::vector<float> scales;
  for (int b = 0; b < 4; ++b) {
    float d = float(float16_t(0.25f + 0.5f * float(gen() % 8)));
    scales.push_back(d);
    uint16_t bits = float16_t(d).bits;
    file.append(reinterpret_cast<const char*>(&bits), 2);
    uint8_t q[32];
    for (auto& v : q) v = gen() % 16;
    for (int i = 0; i < 16; ++i) file.push_back(static_cast<char>(q[i] | (q[i + 16] << 4)));
    for (int i = 0; i < 32; ++i) want.push_back(d * (float(q[i]) - 8.0f));
  }
  auto r = io::memory_reader(file.data(), file.size(), "q4_0 bytes");
  io::GGUF g = io::load_gguf(*r);
  ASSERT_EQ(g.arrays.size(), 3u);
  EXPECT_EQ(g.arrays[0].first, "w.weight");
  EXPECT_EQ(g.arrays[1].first, "w.scales");
  EXPECT_EQ(g.arrays[2].first, "w.biases");
  EXPECT_EQ(g.arrays[0].second.shape(), (Shape{2, 8}));
  EXPECT_EQ(g.arrays[1].second.shape(), (Shape{2, 2}));
  array deq = astype(dequantize(g.arrays[0].second, g.arrays[1].second, g.arrays[2].second, 32, 4),
                     float32);
  std::vector<float> got = deq.to_vector<float>();
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_FLOAT_EQ(got[i], want[i]) << i;
  // A block size that does not divide the last dimension is refused.
  std::string bad = file;
  bad[24 + 8 + 8 + 4] = 48;  // the innermost dim: 48
  auto rb = io::memory_reader(bad.data(), bad.size(), "bad bytes");
  EXPECT_THROW(io::load_gguf(*rb), std::invalid_argument);
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
