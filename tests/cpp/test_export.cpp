// export_function / import_function (tandem/export.h): functions exported
// from C++, imported from the file and from bytes, compared with the
// function called directly; several signatures, keywords, shapeless, and
// damaged files raising std::invalid_argument.
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "tandem/tandem.h"

using namespace tandem;

namespace {

array random_array(std::mt19937& gen, Shape shape) {
  std::normal_distribution<float> dist(0.f, 1.f);
  std::vector<float> v(shape_size(shape));
  for (auto& x : v) x = dist(gen);
  return array(v.data(), shape, float32);
}

void expect_close(array a, array b) {
  ASSERT_EQ(a.shape(), b.shape());
  ASSERT_EQ(a.dtype(), b.dtype());
  auto x = a.to_vector<double>(), y = b.to_vector<double>();
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], y[i], 1e-5) << i;
}

std::string temp_path(const char* name) {
  return ::testing::TempDir() + "/tandem_export_" + name + ".tfn";
}

std::string read_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::vector<array> mlp(const std::vector<array>& in) {
  array h = softmax(add(matmul(in[0], in[1]), in[2]), false);
  return {sort(cumsum(h, 1), 0), sum(multiply(h, h), 1)};
}

TEST(Export, RoundTripThroughFileAndBytes) {
  std::mt19937 gen(11);
  std::string path = temp_path("mlp");
  export_function(path, mlp,
                  {random_array(gen, {3, 4}), random_array(gen, {4, 5}), random_array(gen, {5})});
  ImportedFunction f = import_function(path);
  ImportedFunction g = import_function_bytes(read_bytes(path), "bytes");
  EXPECT_EQ(f.num_signatures(), 1u);
  for (int rep = 0; rep < 2; ++rep) {
    std::vector<array> in = {random_array(gen, {3, 4}), random_array(gen, {4, 5}),
                             random_array(gen, {5})};
    auto want = mlp(in);
    for (const auto* fn : {&f, &g}) {
      auto out = (*fn)(in);
      ASSERT_EQ(out.size(), 2u);
      for (size_t i = 0; i < 2; ++i) expect_close(out[i], want[i]);
    }
  }
  // Another shape: no signature takes it.
  EXPECT_THROW(f({random_array(gen, {2, 4}), random_array(gen, {4, 5}), random_array(gen, {5})}),
               std::invalid_argument);
  std::remove(path.c_str());
}

TEST(Export, SeveralSignaturesKeywordsAndShapeless) {
  std::mt19937 gen(12);
  std::string path = temp_path("multi");
  auto fun = [](const std::vector<array>& in) {
    array out = exp(in[0]);
    for (size_t i = 1; i < in.size(); ++i) out = multiply(out, in[i]);
    return std::vector<array>{out};
  };
  {
    FunctionExporter ex(path, fun, /*shapeless=*/true, "meta");
    ex({random_array(gen, {3})});
    ex({random_array(gen, {2, 3}), random_array(gen, {2, 3})});
    // Keyword "scale" after one positional array.
    ex.add({random_array(gen, {3}), random_array(gen, {3})}, flat_structure(1, {"scale"}));
    EXPECT_THROW(ex({random_array(gen, {3})}), std::runtime_error);  // already there
    ex.close();
    EXPECT_THROW(ex({random_array(gen, {4})}), std::runtime_error);
  }
  ImportedFunction f = import_function(path);
  EXPECT_EQ(f.num_signatures(), 3u);
  EXPECT_EQ(f.metadata(), "meta");
  array a = random_array(gen, {7}), b = random_array(gen, {7});
  expect_close(f({a})[0], exp(a));  // shapeless: another length
  expect_close(f({a}, {{"scale", b}})[0], multiply(exp(a), b));
  array c = random_array(gen, {4, 5}), d = random_array(gen, {4, 5});
  expect_close(f({c, d})[0], multiply(exp(c), d));
  EXPECT_THROW(f({a}, {{"other", b}}), std::invalid_argument);
  EXPECT_THROW(f({c}), std::invalid_argument);  // rank 2 with one input: no signature
  std::remove(path.c_str());
}

TEST(Export, DamagedBytesRaiseInvalidArgument) {
  std::mt19937 gen(13);
  std::string path = temp_path("damaged");
  export_function(path, mlp,
                  {random_array(gen, {2, 4}), random_array(gen, {4, 3}), random_array(gen, {3})});
  std::string good = read_bytes(path);
  std::remove(path.c_str());
  std::uniform_int_distribution<size_t> pos(0, good.size() - 1);
  std::uniform_int_distribution<int> byte(0, 255);
  int failed = 0;
  for (int i = 0; i < 200; ++i) {
    std::string bad = good;
    if (i % 3 == 0) {
      bad.resize(pos(gen));
    } else {
      for (int k = 0; k < 1 + i % 4; ++k) bad[pos(gen)] = static_cast<char>(byte(gen));
    }
    try {
      import_function_bytes(bad, "mutated");
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find("[import_function] mutated"), std::string::npos)
          << e.what();
      ++failed;
    }
  }
  EXPECT_GT(failed, 150);
  EXPECT_THROW(import_function(temp_path("missing")), std::runtime_error);
}

}  // namespace
