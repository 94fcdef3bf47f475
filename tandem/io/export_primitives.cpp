// Primitives in export_function's files (tandem/export.h): each exportable
// primitive class by name, its parameters written through its accessors and
// read back into its constructor. A primitive missing here cannot be
// exported: save_primitive names it.
#include <functional>
#include <string>
#include <unordered_map>

#include "tandem/device.h"
#include "tandem/io/detail.h"
#include "tandem/io/export_detail.h"
#include "tandem/primitives/binary.h"
#include "tandem/primitives/creation.h"
#include "tandem/primitives/custom.h"
#include "tandem/primitives/fft.h"
#include "tandem/primitives/indexing.h"
#include "tandem/primitives/linalg.h"
#include "tandem/primitives/matmul.h"
#include "tandem/primitives/random.h"
#include "tandem/primitives/reduce.h"
#include "tandem/primitives/row_norm.h"
#include "tandem/primitives/scan.h"
#include "tandem/primitives/shape.h"
#include "tandem/primitives/sort.h"
#include "tandem/primitives/unary.h"
#include "tandem/stream.h"

namespace tandem::io::detail {
namespace {

#define TANDEM_COUNT_ONE(X) +1
constexpr int kUnaryOps = 0 TANDEM_UNARY_OPS(TANDEM_COUNT_ONE);
constexpr int kBinaryOps = 0 TANDEM_BINARY_OPS(TANDEM_COUNT_ONE);
#undef TANDEM_COUNT_ONE

// An enum stored as one byte, checked against its number of values.
template <typename E>
E read_enum(ByteReader& r, int count, const char* what) {
  uint8_t v = r.u8();
  if (v >= count) r.fail(std::string("unknown ") + what + " code " + std::to_string(v));
  return static_cast<E>(v);
}
template <typename E>
void write_enum(ByteWriter& w, E e) {
  w.u8(static_cast<uint8_t>(e));
}

struct Codec {
  std::function<void(ByteWriter&, const Primitive&)> save;
  std::function<std::shared_ptr<Primitive>(ByteReader&, Stream)> load;
};

template <typename P>
Codec simple() {
  return {[](ByteWriter&, const Primitive&) {},
          [](ByteReader&, Stream s) { return std::make_shared<P>(s); }};
}

// Saves P's parameters with `save(writer, const P&)`; loads with
// `load(reader, stream)`.
template <typename P, typename S, typename L>
Codec with(S save, L load) {
  return {[save](ByteWriter& w, const Primitive& p) { save(w, static_cast<const P&>(p)); },
          [load](ByteReader& r, Stream s) -> std::shared_ptr<Primitive> { return load(r, s); }};
}

const std::unordered_map<std::string, Codec>& codecs() {
  static const auto* table = new std::unordered_map<std::string, Codec>{
      {"Unary", with<Unary>([](ByteWriter& w, const Unary& p) { write_enum(w, p.op()); },
                            [](ByteReader& r, Stream s) {
                              return std::make_shared<Unary>(
                                  s, read_enum<UnaryOp>(r, kUnaryOps, "unary op"));
                            })},
      {"Binary", with<Binary>([](ByteWriter& w, const Binary& p) { write_enum(w, p.op()); },
                              [](ByteReader& r, Stream s) {
                                return std::make_shared<Binary>(
                                    s, read_enum<BinaryOp>(r, kBinaryOps, "binary op"));
                              })},
      {"Select", simple<Select>()},
      {"Arange", with<Arange>(
                     [](ByteWriter& w, const Arange& p) {
                       w.f64(p.start());
                       w.f64(p.step());
                       w.i64(p.int_start());
                       w.i64(p.int_step());
                     },
                     [](ByteReader& r, Stream s) {
                       double a = r.f64(), b = r.f64();
                       int64_t c = r.i64(), d = r.i64();
                       return std::make_shared<Arange>(s, a, b, c, d);
                     })},
      {"AsType", with<AsType>([](ByteWriter& w, const AsType& p) { w.u8(p.row_contiguous()); },
                              [](ByteReader& r, Stream s) {
                                return std::make_shared<AsType>(s, r.boolean());
                              })},
      {"Concatenate",
       with<Concatenate>(
           [](ByteWriter& w, const Concatenate& p) { w.i32(p.axis()); },
           [](ByteReader& r, Stream s) { return std::make_shared<Concatenate>(s, r.i32()); })},
      {"Gather", with<Gather>(
                     [](ByteWriter& w, const Gather& p) {
                       w.ints(p.axes());
                       w.shape(p.slice_sizes());
                     },
                     [](ByteReader& r, Stream s) {
                       auto axes = r.ints();
                       return std::make_shared<Gather>(s, std::move(axes), r.shape());
                     })},
      {"Scatter", with<Scatter>(
                      [](ByteWriter& w, const Scatter& p) {
                        write_enum(w, p.reduce());
                        w.ints(p.axes());
                      },
                      [](ByteReader& r, Stream s) {
                        auto red = read_enum<ScatterReduce>(r, 5, "scatter reduction");
                        return std::make_shared<Scatter>(s, red, r.ints());
                      })},
      {"GatherAxis", with<GatherAxis>([](ByteWriter& w, const GatherAxis& p) { w.i32(p.axis()); },
                                      [](ByteReader& r, Stream s) {
                                        return std::make_shared<GatherAxis>(s, r.i32());
                                      })},
      {"ScatterAxis", with<ScatterAxis>(
                          [](ByteWriter& w, const ScatterAxis& p) {
                            write_enum(w, p.reduce());
                            w.i32(p.axis());
                          },
                          [](ByteReader& r, Stream s) {
                            auto red = read_enum<ScatterReduce>(r, 5, "scatter reduction");
                            return std::make_shared<ScatterAxis>(s, red, r.i32());
                          })},
      {"SliceUpdate", with<SliceUpdate>(
                          [](ByteWriter& w, const SliceUpdate& p) {
                            w.shape(p.start());
                            w.shape(p.steps());
                          },
                          [](ByteReader& r, Stream s) {
                            Shape start = r.shape();
                            return std::make_shared<SliceUpdate>(s, std::move(start),
                                                                 r.signed_shape());
                          })},
      {"Inverse", with<Inverse>(
                      [](ByteWriter& w, const Inverse& p) {
                        w.u8(p.tri());
                        w.u8(p.upper());
                      },
                      [](ByteReader& r, Stream s) {
                        bool tri = r.boolean();
                        return std::make_shared<Inverse>(s, tri, r.boolean());
                      })},
      {"Cholesky", with<Cholesky>([](ByteWriter& w, const Cholesky& p) { w.u8(p.upper()); },
                                  [](ByteReader& r, Stream s) {
                                    return std::make_shared<Cholesky>(s, r.boolean());
                                  })},
      {"QRF", simple<QRF>()},
      {"SVD",
       with<SVD>([](ByteWriter& w, const SVD& p) { w.u8(p.compute_uv()); },
                 [](ByteReader& r, Stream s) { return std::make_shared<SVD>(s, r.boolean()); })},
      {"Eigh", with<Eigh>(
                   [](ByteWriter& w, const Eigh& p) {
                     w.u8(static_cast<uint8_t>(p.uplo()));
                     w.u8(p.vectors());
                   },
                   [](ByteReader& r, Stream s) {
                     char uplo = static_cast<char>(r.u8());
                     if (uplo != 'L' && uplo != 'U') r.fail("Eigh's triangle is not 'L' or 'U'");
                     return std::make_shared<Eigh>(s, uplo, r.boolean());
                   })},
      {"Eig",
       with<Eig>([](ByteWriter& w, const Eig& p) { w.u8(p.vectors()); },
                 [](ByteReader& r, Stream s) { return std::make_shared<Eig>(s, r.boolean()); })},
      {"LUF", simple<LUF>()},
      {"Matmul", simple<Matmul>()},
      {"AddMM", with<AddMM>(
                    [](ByteWriter& w, const AddMM& p) {
                      w.f32(p.alpha());
                      w.f32(p.beta());
                    },
                    [](ByteReader& r, Stream s) {
                      float a = r.f32();
                      return std::make_shared<AddMM>(s, a, r.f32());
                    })},
      {"RandomBits", with<RandomBits>([](ByteWriter& w, const RandomBits& p) { w.u8(p.width()); },
                                      [](ByteReader& r, Stream s) {
                                        int width = r.u8();
                                        if (width != 1 && width != 2 && width != 4 && width != 8) {
                                          r.fail("RandomBits of width " + std::to_string(width));
                                        }
                                        return std::make_shared<RandomBits>(s, width);
                                      })},
      {"Reduce", with<Reduce>(
                     [](ByteWriter& w, const Reduce& p) {
                       write_enum(w, p.op());
                       w.ints(p.axes());
                     },
                     [](ByteReader& r, Stream s) {
                       auto op = read_enum<ReduceOp>(r, 6, "reduction");
                       return std::make_shared<Reduce>(s, op, r.ints());
                     })},
      {"ArgReduce", with<ArgReduce>(
                        [](ByteWriter& w, const ArgReduce& p) {
                          write_enum(w, p.op());
                          w.i32(p.axis());
                        },
                        [](ByteReader& r, Stream s) {
                          auto op = read_enum<ArgReduceOp>(r, 2, "arg reduction");
                          return std::make_shared<ArgReduce>(s, op, r.i32());
                        })},
      {"RowNorm", with<RowNorm>(
                      // A causal softmax is op 4, its rows and offset after the flags.
                      [](ByteWriter& w, const RowNorm& p) {
                        bool causal = p.causal_rows() > 0;
                        w.u8(causal ? 4 : static_cast<uint8_t>(p.op()));
                        w.f32(p.eps());
                        w.u8(p.has_weight());
                        w.u8(p.has_bias());
                        if (causal) {
                          w.i64(p.causal_rows());
                          w.i64(p.causal_offset());
                        }
                      },
                      [](ByteReader& r, Stream s) {
                        int op = static_cast<int>(read_enum<RowNormOp>(r, 5, "row norm"));
                        float eps = r.f32();
                        bool weight = r.boolean();
                        bool bias = r.boolean();
                        int64_t rows = 0, offset = 0;
                        if (op == 4) {
                          rows = r.i64();
                          offset = r.i64();
                          if (rows <= 0) r.fail("causal softmax rows must be positive");
                          op = static_cast<int>(RowNormOp::Softmax);
                        }
                        return std::make_shared<RowNorm>(s, static_cast<RowNormOp>(op), eps, weight,
                                                         bias, rows, offset);
                      })},
      {"Scan", with<Scan>(
                   [](ByteWriter& w, const Scan& p) {
                     write_enum(w, p.op());
                     w.i32(p.axis());
                     w.u8(p.reverse());
                     w.u8(p.inclusive());
                   },
                   [](ByteReader& r, Stream s) {
                     auto op = read_enum<ScanOp>(r, 5, "scan");
                     int axis = r.i32();
                     bool reverse = r.boolean();
                     return std::make_shared<Scan>(s, op, axis, reverse, r.boolean());
                   })},
      {"Reshape", simple<Reshape>()},
      {"Transpose", with<Transpose>([](ByteWriter& w, const Transpose& p) { w.ints(p.axes()); },
                                    [](ByteReader& r, Stream s) {
                                      return std::make_shared<Transpose>(s, r.ints());
                                    })},
      {"Broadcast", simple<Broadcast>()},
      {"Slice", with<Slice>(
                    [](ByteWriter& w, const Slice& p) {
                      w.shape(p.start());
                      w.shape(p.steps());
                    },
                    [](ByteReader& r, Stream s) {
                      Shape start = r.shape();
                      return std::make_shared<Slice>(s, std::move(start), r.signed_shape());
                    })},
      {"AsStrided", with<AsStrided>(
                        [](ByteWriter& w, const AsStrided& p) {
                          w.strides(p.strides());
                          w.i64(p.offset());
                        },
                        [](ByteReader& r, Stream s) {
                          Strides st = r.strides();
                          return std::make_shared<AsStrided>(s, std::move(st), r.i64());
                        })},
      {"View", simple<View>()},
      {"StopGradient", simple<StopGradient>()},
      {"Identity", simple<Identity>()},
      {"Sort",
       with<Sort>([](ByteWriter& w, const Sort& p) { w.i32(p.axis()); },
                  [](ByteReader& r, Stream s) { return std::make_shared<Sort>(s, r.i32()); })},
      {"ArgSort", with<ArgSort>([](ByteWriter& w, const ArgSort& p) { w.i32(p.axis()); },
                                [](ByteReader& r, Stream s) {
                                  return std::make_shared<ArgSort>(s, r.i32());
                                })},
      {"Partition", with<Partition>(
                        [](ByteWriter& w, const Partition& p) {
                          w.i32(p.kth());
                          w.i32(p.axis());
                        },
                        [](ByteReader& r, Stream s) {
                          int kth = r.i32();
                          return std::make_shared<Partition>(s, kth, r.i32());
                        })},
      {"ArgPartition", with<ArgPartition>(
                           [](ByteWriter& w, const ArgPartition& p) {
                             w.i32(p.kth());
                             w.i32(p.axis());
                           },
                           [](ByteReader& r, Stream s) {
                             int kth = r.i32();
                             return std::make_shared<ArgPartition>(s, kth, r.i32());
                           })},
      {"FFT", with<FFT>(
                  [](ByteWriter& w, const FFT& p) {
                    w.ints(p.axes());
                    w.u8(p.inverse());
                    w.u8(p.real());
                    w.f64(p.scale());
                  },
                  [](ByteReader& r, Stream s) {
                    auto axes = r.ints();
                    bool inverse = r.boolean();
                    bool real = r.boolean();
                    return std::make_shared<FFT>(s, std::move(axes), inverse, real, r.f64());
                  })},
      {"Depends", with<Depends>([](ByteWriter& w, const Depends& p) { w.i32(p.num_inputs()); },
                                [](ByteReader& r, Stream s) {
                                  return std::make_shared<Depends>(s, r.i32());
                                })},
  };
  return *table;
}

}  // namespace

void ByteReader::fail(const std::string& what) const {
  throw std::invalid_argument(printable("[import_function] " + label_ + ": " + what));
}

void save_primitive(ByteWriter& w, const Primitive& p) {
  const auto& table = codecs();
  auto it = table.find(p.name());
  if (it == table.end()) {
    std::string why = std::string(p.name()) == "CustomTransforms"
                          ? " (a custom function or checkpoint holds code, which a file can't)"
                          : "";
    throw std::invalid_argument(std::string("[export_function] cannot export ") + p.name() + why);
  }
  w.str(p.name());
  w.u8(p.device().type == Device::DeviceType::gpu ? 1 : 0);
  it->second.save(w, p);
}

std::shared_ptr<Primitive> load_primitive(ByteReader& r) {
  std::string name = r.str();
  const auto& table = codecs();
  auto it = table.find(name);
  if (it == table.end()) r.fail("unknown primitive '" + name + "'");
  uint8_t dev = r.u8();
  if (dev > 1) r.fail("unknown device code " + std::to_string(dev));
  Device d = Device::DeviceType::cpu;
  if (dev == 1 && is_available(Device(Device::DeviceType::gpu))) d = Device::DeviceType::gpu;
  return it->second.load(r, default_stream(d));
}

}  // namespace tandem::io::detail
