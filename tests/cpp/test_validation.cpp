// Argument validation at graph-build time (issue 18): negative and
// overflowing shapes, as_strided extents, device and stream indices, axes,
// and the debug mode that raises on indices out of range.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "tandem/tandem.h"
#include "test_utils.h"

using namespace tandem;

namespace {

using test::expect_invalid;

// The message of the std::invalid_argument f throws ("" if none).
template <typename F>
std::string invalid_message(F f) {
  try {
    f();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(Validation, NegativeDimensionsRejected) {
  array one = ones({1});
  expect_invalid([&] { broadcast_to(one, {-3}); }, "broadcast_to",
                 {"negative dimension -3", "(-3,)"});
  expect_invalid([] { zeros({2, -1}); }, "full", {"negative dimension -1", "(2, -1)"});
  expect_invalid([] { full({-4}, array(1.0f)); }, "full", {"negative dimension -4"});
  expect_invalid([] { reshape(ones({6}), {-2, 3}); }, "reshape", {"negative dimension -2"});
  expect_invalid([] { random::normal({-1, 2}); }, "normal", {"negative dimension -1"});
  expect_invalid([] { random::bits({3, -7}); }, "bits", {"negative dimension -7"});
  expect_invalid([] { as_strided(ones({4}), {-1}, {1}); }, "as_strided", {"negative dimension -1"});
  // The central check where every array's shape is set, for primitives
  // built directly.
  EXPECT_THROW(checked_shape_size({3, -1}, float32, "x"), std::invalid_argument);
  // Still usable.
  EXPECT_EQ(ones({2}).to_vector<float>(), (std::vector<float>{1.f, 1.f}));
}

TEST(Validation, ElementCountOverflowRejected) {
  expect_invalid(
      [] {
        ones({2731, 4323, 409891, 7623851});
      },
      "full", {"(2731, 4323, 409891, 7623851)", "float32", "too big"});
  expect_invalid([] { zeros({1 << 22, 1 << 21, 1 << 21}); }, "full", {"too big"});
  // Fits in elements but not in bytes (2**62 float64 = 2**65 bytes).
  expect_invalid(
      [] {
        zeros({1 << 21, 1 << 21, 1 << 20}, float64);
      },
      "full", {"float64", "too big"});
  expect_invalid(
      [&] {
        broadcast_to(ones({1, 1, 1}), {1 << 30, 1 << 30, 1 << 30});
      },
      "broadcast_to", {"too big"});
  // A zero dim makes the size 0 but the others must still fit (NumPy).
  expect_invalid([] { zeros({0, 1 << 30, 1 << 30, 1 << 30}); }, "full", {"too big"});
  EXPECT_EQ(zeros({0, 1 << 30, 1 << 20}).size(), 0u);
  // Random shapes: accepted exactly when the byte size fits in int64.
  auto& g = test::rng();
  for (int i = 0; i < 300; ++i) {
    Shape s;
    int nd = 1 + static_cast<int>(g() % 5);
    for (int d = 0; d < nd; ++d) s.push_back(static_cast<ShapeElem>(g() >> (33 + g() % 31)));
    Dtype t = g() % 2 ? float32 : int8;
    unsigned __int128 bytes = t.size();
    bool fits = true;
    for (auto d : s) {
      if (d == 0) continue;
      bytes *= static_cast<unsigned>(d);
      if (bytes > static_cast<unsigned __int128>(INT64_MAX)) fits = false;
    }
    if (fits) {
      array a = zeros(s, t);
      EXPECT_EQ(a.size(), shape_size(s));
    } else {
      EXPECT_THROW(zeros(s, t), std::invalid_argument) << shape_str(s);
    }
  }
  // flatten past 32 bits names the dimension.
  expect_invalid(
      [] {
        flatten(zeros({1 << 16, 1 << 16}, int8));
      },
      "flatten", {"4294967296", "32-bit"});
}

TEST(Validation, AsStridedExtentChecked) {
  std::string m = invalid_message([] { as_strided(ones({2}), {1000000}, {1000000}); });
  EXPECT_EQ(m.rfind("[as_strided]", 0), 0u) << m;
  for (const char* part : {"(1000000,)", "strides (1000000,)", "offset 0", "array of 2 elements"}) {
    EXPECT_NE(m.find(part), std::string::npos) << m;
  }
  expect_invalid([] { as_strided(ones({4}), {4}, {-1}); }, "as_strided", {"-3 to 0"});
  expect_invalid([] { as_strided(ones({4}), {2}, {1}, -1); }, "as_strided", {"offset -1"});
  expect_invalid(
      [] {
        as_strided(ones({4}), {3, 3}, {int64_t(1) << 62, int64_t(1) << 62});
      },
      "as_strided");
  // Unevaluated input: the size it will have.
  array lazy = exp(zeros({3, 4}));
  expect_invalid([&] { as_strided(lazy, {13}, {1}); }, "as_strided", {"array of 12 elements"});
  // In range, including negative strides from a positive offset and 0-size.
  array a = arange(0, 12, 1);
  EXPECT_EQ(as_strided(a, {3}, {-4}, 11).to_vector<int>(), (std::vector<int>{11, 7, 3}));
  EXPECT_EQ(as_strided(a, {0, 5}, {100, 100}, 0).size(), 0u);
  EXPECT_EQ(as_strided(a, {2, 2}, {0, 11}, 0).to_vector<int>(), (std::vector<int>{0, 11, 0, 11}));
}

TEST(Validation, DeviceAndStreamIndicesChecked) {
  for (Device bad : {Device(Device::cpu, 5), Device(Device::cpu, -1), Device(Device::gpu, 99)}) {
    std::ostringstream os;
    os << bad;
    std::string name = os.str();
    for (auto f : std::vector<std::function<void()>>{
             [&] { ones({2}, float32, bad); },
             [&] { add(ones({2}), ones({2}), bad); },
             [&] { set_default_device(bad); },
             [&] { default_stream(bad); },
             [&] { new_stream(bad); },
             [&] { StreamContext ctx(bad); },
         }) {
      std::string m = invalid_message(f);
      EXPECT_NE(m.find(name + " is not available"), std::string::npos) << m;
    }
  }
  for (Stream bad : {Stream(4000, Device::cpu), Stream(-1, Device::cpu)}) {
    for (auto f : std::vector<std::function<void()>>{
             [&] { ones({2}, float32, bad); },
             [&] { synchronize(bad); },
             [&] { set_default_stream(bad); },
             [&] { StreamContext ctx(bad); },
         }) {
      std::string m = invalid_message(f);
      EXPECT_NE(m.find("is not a stream of this process"), std::string::npos) << m;
    }
  }
  Stream s = new_stream(Device::cpu);
  EXPECT_EQ(add(ones({2}), ones({2}), s).to_vector<float>(), (std::vector<float>{2.f, 2.f}));
  if (!is_available(Device::gpu)) {
    // A CPU stream's index presented as a GPU stream.
    EXPECT_THROW(ones({2}, float32, Stream(s.index, Device::gpu)), std::invalid_argument);
  }
}

TEST(Validation, AxisErrors) {
  array a = ones({2, 3});
  for (auto f : std::vector<std::function<void()>>{
           [&] { sum(a, 5); },
           [&] { expand_dims(a, 4); },
           [&] {
             transpose(a, {0, 5});
           },
           [&] { swapaxes(a, 0, -3); },
           [&] {
             concatenate({a, a}, 2);
           },
           [&] { cumsum(a, 2); },
           [&] { argmax(a, -3); },
           [&] { a.shape(2); },
       }) {
    try {
      f();
      ADD_FAILURE() << "no AxisError";
    } catch (const AxisError& e) {
      EXPECT_NE(std::string(e.what()).find("axis"), std::string::npos) << e.what();
    }
  }
}

// Restores the index-check mode on scope exit.
struct CheckIndices {
  bool prev = check_indices();
  explicit CheckIndices(bool on) { set_check_indices(on); }
  ~CheckIndices() { set_check_indices(prev); }
};

template <typename F>
std::string index_error(F f) {
  try {
    f();
  } catch (const std::out_of_range& e) {
    return e.what();
  }
  return "";
}

TEST(Validation, IndicesClampByDefault) {
  CheckIndices off(false);
  array a = arange(0, 10, 1);
  EXPECT_EQ(take(a, array({100})).to_vector<int>(), (std::vector<int>{9}));
  EXPECT_EQ(take(a, array({-100})).to_vector<int>(), (std::vector<int>{0}));
}

TEST(Validation, CheckIndicesRaises) {
  CheckIndices on(true);
  array a = arange(0, 10, 1);
  // take of the flattened array goes through take_along_axis of a view.
  std::string m = index_error([&] { eval(take(a, array({3, 100}))); });
  EXPECT_NE(m.find("index 100 is out of range for axis"), std::string::npos) << m;
  EXPECT_NE(m.find("of size 10"), std::string::npos) << m;
  // Through a gather: a[idx] of a 2-d array.
  m = index_error([&] {
    eval(gather(reshape(arange(0, 12, 1), {3, 4}), {array({3})}, {0}, {1, 4}));
  });
  EXPECT_EQ(m.rfind("[gather] index 3 is out of range for axis 0 of size 3", 0), 0u) << m;
  m = index_error([&] { eval(take(a, array({-11}))); });
  EXPECT_NE(m.find("index -11"), std::string::npos) << m;
  array b = reshape(arange(0, 12, 1), {3, 4});
  m = index_error([&] { eval(take(b, array({4}), 1)); });
  EXPECT_NE(m.find("index 4 is out of range for axis 1 of size 4"), std::string::npos) << m;
  m = index_error([&] { eval(take_along_axis(b, array({0, 7, 1}, {3, 1}), 1)); });
  EXPECT_EQ(m.rfind("[take_along_axis] index 7", 0), 0u) << m;
  m = index_error([&] { eval(put_along_axis(b, array({0, 9, 1}, {3, 1}), array(5), 1)); });
  EXPECT_EQ(m.rfind("[put_along_axis] index 9", 0), 0u) << m;
  m = index_error([&] { eval(scatter_add(a, {array({10})}, ones({1, 1}, int32), {0})); });
  EXPECT_EQ(m.rfind("[scatter] index 10", 0), 0u) << m;
  // Random valid indices (negatives wrap once) still give NumPy's values.
  auto& g = test::rng();
  std::vector<int> idx(50), want(50);
  for (int i = 0; i < 50; ++i) {
    idx[i] = static_cast<int>(g() % 20) - 10;
    want[i] = idx[i] < 0 ? idx[i] + 10 : idx[i];
  }
  EXPECT_EQ(take(a, array(idx.data(), Shape{50})).to_vector<int>(), want);
}

}  // namespace
