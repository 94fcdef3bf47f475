// Bindings for array files: save, savez, savez_compressed, save_safetensors
// and load (tandem/io/io.h). A file is a str, a path-like object or a binary
// file object (read whole with .read(), written with one .write()).
#include "tandem/io/io.h"

#include <nanobind/stl/string.h>

#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "python/src/common.h"

namespace tandem::py {

namespace {

bool is_path(nb::handle f) {
  return PyUnicode_Check(f.ptr()) || PyBytes_Check(f.ptr()) || nb::hasattr(f, "__fspath__");
}

std::string path_of(nb::handle f) {
  nb::object p = nb::module_::import_("os").attr("fsdecode")(f);
  return nb::cast<std::string>(p);
}

std::string file_object_label(nb::handle f) {
  if (nb::hasattr(f, "name")) {
    nb::object name = f.attr("name");
    if (PyUnicode_Check(name.ptr())) return "file '" + nb::cast<std::string>(name) + "'";
  }
  return "file object";
}

// "npy" from "w.npy"; empty when the name has no extension.
std::string extension(const std::string& path) {
  auto slash = path.find_last_of('/');
  std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
  auto dot = base.find_last_of('.');
  return dot == std::string::npos || dot == 0 ? std::string() : base.substr(dot + 1);
}

std::string pick_format(nb::handle file, const std::optional<std::string>& format) {
  std::string fmt;
  if (format) {
    fmt = *format;
  } else if (is_path(file)) {
    fmt = extension(path_of(file));
    if (fmt.empty()) {
      throw std::invalid_argument("[load] could not infer the file format from the extension of '" +
                                  path_of(file) +
                                  "'; pass format='npy', 'npz', 'safetensors' or 'gguf'");
    }
  } else if (nb::hasattr(file, "name") && PyUnicode_Check(file.attr("name").ptr())) {
    fmt = extension(nb::cast<std::string>(file.attr("name")));
  }
  if (fmt.empty()) {
    throw std::invalid_argument(
        "[load] could not infer the format of a file object; pass format='npy', 'npz', "
        "'safetensors' or 'gguf'");
  }
  if (fmt != "npy" && fmt != "npz" && fmt != "safetensors" && fmt != "gguf") {
    throw std::invalid_argument("[load] unknown file format '" + fmt +
                                "' (supported: npy, npz, safetensors, gguf)");
  }
  return fmt;
}

// A Python str from bytes that should be UTF-8 (zip member names may not be).
nb::object decode(const std::string& s) {
  return nb::steal(PyUnicode_DecodeUTF8(s.data(), static_cast<Py_ssize_t>(s.size()), "replace"));
}

nb::dict to_dict(io::NamedArrays&& arrays) {
  nb::dict d;
  for (auto& [k, a] : arrays) d[decode(k)] = wrap(std::move(a));
  return d;
}

nb::object load(nb::handle file, const std::optional<std::string>& format, bool return_metadata) {
  std::string fmt = pick_format(file, format);
  if (return_metadata && fmt != "safetensors" && fmt != "gguf") {
    throw std::invalid_argument("[load] metadata is not supported for the " + fmt + " format");
  }
  // The bytes of a file object, read whole; a path is read in place.
  nb::bytes held;
  std::unique_ptr<io::Reader> reader;
  if (is_path(file)) {
    std::string path = path_of(file);
    ReleaseGil nogil;
    reader = io::open_reader(path);
  } else {
    if (!nb::hasattr(file, "read")) {
      throw nb::type_error("[load] file must be a str, a path-like object or a binary file object");
    }
    nb::object data = file.attr("read")();
    if (!PyBytes_Check(data.ptr())) {
      throw nb::type_error(
          "[load] the file object's read() must return bytes (open it in 'rb' mode)");
    }
    held = nb::borrow<nb::bytes>(data);
    reader = io::memory_reader(held.c_str(), held.size(), file_object_label(file));
  }
  if (fmt == "npy") {
    std::optional<array> a;
    {
      ReleaseGil nogil;
      a = io::load_npy(*reader);
    }
    return wrap(std::move(*a));
  }
  if (fmt == "npz") {
    io::NamedArrays arrays;
    {
      ReleaseGil nogil;
      arrays = io::load_npz(*reader);
    }
    return to_dict(std::move(arrays));
  }
  if (fmt == "gguf") {
    io::GGUF g;
    {
      ReleaseGil nogil;
      g = io::load_gguf(*reader);
    }
    nb::dict arrays = to_dict(std::move(g.arrays));
    if (!return_metadata) return arrays;
    nb::dict meta;
    for (auto& [k, v] : g.metadata) {
      if (auto* s = std::get_if<std::string>(&v)) {
        meta[decode(k)] = decode(*s);
      } else if (auto* l = std::get_if<std::vector<std::string>>(&v)) {
        nb::list items;
        for (auto& s : *l) items.append(decode(s));
        meta[decode(k)] = items;
      } else {
        meta[decode(k)] = wrap(std::get<array>(std::move(v)));
      }
    }
    return nb::make_tuple(arrays, meta);
  }
  io::Safetensors st;
  {
    ReleaseGil nogil;
    st = io::load_safetensors(*reader);
  }
  nb::dict arrays = to_dict(std::move(st.arrays));
  if (!return_metadata) return arrays;
  nb::dict meta;
  for (auto& [k, v] : st.metadata) meta[decode(k)] = decode(v);
  return nb::make_tuple(arrays, meta);
}

// Runs write(w) into the file: a path (with `ext` appended when missing, as
// MLX does) or a file object (given the bytes in one write()).
template <typename F>
void write_to(nb::handle file, const char* op, const std::string& ext, F&& write) {
  if (is_path(file)) {
    std::string path = path_of(file);
    if (path.size() < ext.size() || path.compare(path.size() - ext.size(), ext.size(), ext) != 0) {
      path += ext;
    }
    // Straight to the file (the arrays are evaluated already, so the usual
    // failure, a failed computation, happens before the file is opened).
    ReleaseGil nogil;
    io::write_file(path, write);
    return;
  }
  if (!nb::hasattr(file, "write")) {
    throw nb::type_error(
        (std::string("[") + op + "] file must be a str, a path-like object or a binary file object")
            .c_str());
  }
  std::string bytes, label = file_object_label(file);
  {
    ReleaseGil nogil;
    auto w = io::memory_writer(&bytes, label);
    write(*w);
  }
  file.attr("write")(nb::bytes(bytes.data(), bytes.size()));
}

void eval_all(io::NamedArrays& arrays) {
  std::vector<array> outs;
  for (auto& [k, a] : arrays) outs.push_back(a);
  eval_interruptible(outs);
}

io::NamedArrays collect_savez(const nb::args& args, const nb::kwargs& kwargs) {
  io::NamedArrays arrays;
  for (size_t i = 0; i < args.size(); ++i) {
    arrays.emplace_back("arr_" + std::to_string(i), to_array(args[i]));
  }
  for (auto [k, v] : kwargs) {
    std::string name = nb::cast<std::string>(k);
    for (auto& [n, a] : arrays) {
      if (n == name) {
        throw std::invalid_argument("[savez] cannot use un-named arrays and the keyword " + name);
      }
    }
    arrays.emplace_back(name, to_array(v));
  }
  return arrays;
}

// The arrays of a dict with string keys, for the save functions.
io::NamedArrays named_arrays(const char* op, nb::dict arrays) {
  io::NamedArrays named;
  for (auto [k, v] : arrays) {
    if (!PyUnicode_Check(k.ptr())) {
      throw std::invalid_argument(std::string("[") + op + "] array names must be strings");
    }
    named.emplace_back(nb::cast<std::string>(k), to_array(v));
  }
  return named;
}

void savez_impl(nb::handle file, const nb::args& args, const nb::kwargs& kwargs, bool compress) {
  io::NamedArrays arrays = collect_savez(args, kwargs);
  eval_all(arrays);
  write_to(file, compress ? "savez_compressed" : "savez", ".npz",
           [&](io::Writer& w) { io::save_npz(w, arrays, compress); });
}

}  // namespace

void init_io(nb::module_& m) {
  m.def(
      "export_to_dot",
      [](nb::handle file, nb::args args, nb::kwargs kwargs) {
        std::vector<array> outs;
        std::vector<std::pair<uintptr_t, std::string>> names;
        for (auto h : args) outs.push_back(nb::cast<array>(h));
        for (auto [k, v] : kwargs) {
          array a = nb::cast<array>(v);
          names.emplace_back(a.id(), nb::cast<std::string>(k));
          outs.push_back(a);
        }
        std::string dot = io::graph_to_dot(outs, names);
        if (nb::hasattr(file, "write")) {
          file.attr("write")(dot);
        } else {
          std::string path = nb::cast<std::string>(nb::str(file));
          std::ofstream f(path);
          if (!(f << dot)) throw std::runtime_error("[export_to_dot] cannot write " + path);
        }
      },
      "file"_a, "args"_a, "kwargs"_a,
      "Writes the unevaluated graph behind the given arrays (keyword arguments name arrays) to "
      "a file path or a file-like object, in Graphviz's DOT language.");
  m.def(
      "save",
      [](nb::handle file, const ArrayLike& arr) {
        io::NamedArrays one{{"", to_array(arr)}};
        eval_all(one);
        write_to(file, "save", ".npy", [&](io::Writer& w) { io::save_npy(w, one[0].second); });
      },
      "file"_a, "arr"_a,
      R"(Save an array to a binary file in ``.npy`` format (".npy" is appended to a
path without it). bfloat16 is written as MLX writes it (two-byte void, '<V2').

Args:
    file (str, pathlib.Path, file): where to save.
    arr (array): the array.)");
  m.def(
      "savez",
      [](nb::handle file, nb::args args, nb::kwargs kwargs) {
        savez_impl(file, args, kwargs, false);
      },
      "file"_a, "args"_a, "kwargs"_a,
      R"(Save several arrays to an uncompressed ``.npz`` file. Positional arrays are
named ``arr_0``, ``arr_1``, ...; keyword arrays by their keyword.)");
  m.def(
      "savez_compressed",
      [](nb::handle file, nb::args args, nb::kwargs kwargs) {
        savez_impl(file, args, kwargs, true);
      },
      "file"_a, "args"_a, "kwargs"_a,
      "Save several arrays to a deflate-compressed ``.npz`` file (see savez).");
  m.def(
      "save_safetensors",
      [](nb::handle file, nb::dict arrays, nb::object metadata) {
        io::NamedArrays named = named_arrays("save_safetensors", arrays);
        io::Metadata meta;
        if (!metadata.is_none()) {
          bool ok = PyDict_Check(metadata.ptr());
          if (ok) {
            for (auto [k, v] : nb::borrow<nb::dict>(metadata)) {
              if (!PyUnicode_Check(k.ptr()) || !PyUnicode_Check(v.ptr())) {
                ok = false;
                break;
              }
              meta.emplace_back(nb::cast<std::string>(k), nb::cast<std::string>(v));
            }
          }
          if (!ok) {
            throw std::invalid_argument(
                "[save_safetensors] metadata must be a dictionary with string keys and values");
          }
        }
        eval_all(named);
        write_to(file, "save_safetensors", ".safetensors",
                 [&](io::Writer& w) { io::save_safetensors(w, named, meta); });
      },
      "file"_a, "arrays"_a, "metadata"_a = nb::none(),
      R"(Save a dict of arrays to a ``.safetensors`` file (".safetensors" is appended to
a path without it), with optional string metadata.)");
  m.def(
      "save_gguf",
      [](nb::handle file, nb::dict arrays, nb::object metadata) {
        io::NamedArrays named = named_arrays("save_gguf", arrays);
        io::GGUFMetadata meta;
        if (!metadata.is_none()) {
          if (!PyDict_Check(metadata.ptr())) {
            throw nb::type_error("[save_gguf] metadata must be a dict");
          }
          std::vector<array> values;
          for (auto [k, v] : nb::borrow<nb::dict>(metadata)) {
            if (!PyUnicode_Check(k.ptr())) {
              throw std::invalid_argument("[save_gguf] metadata keys must be strings");
            }
            std::string key = nb::cast<std::string>(k);
            if (PyUnicode_Check(v.ptr())) {
              meta.emplace_back(key, nb::cast<std::string>(v));
            } else if (PyList_Check(v.ptr())) {
              std::vector<std::string> items;
              for (auto item : nb::borrow<nb::list>(v)) {
                if (!PyUnicode_Check(item.ptr())) {
                  throw nb::type_error(
                      ("[save_gguf] metadata '" + key + "' is a list; lists must hold strings")
                          .c_str());
                }
                items.push_back(nb::cast<std::string>(item));
              }
              meta.emplace_back(key, std::move(items));
            } else if (is_array(v) || nb::hasattr(v, "__array__")) {
              meta.emplace_back(key, to_array(v));
              values.push_back(std::get<array>(meta.back().second));
            } else {
              throw nb::type_error(("[save_gguf] metadata '" + key + "' is a " +
                                    nb::cast<std::string>(nb::type_name(v.type())) +
                                    "; values must be arrays, strings or lists of strings")
                                       .c_str());
            }
          }
          eval_interruptible(values);
        }
        eval_all(named);
        write_to(file, "save_gguf", ".gguf", [&](io::Writer& w) { io::save_gguf(w, named, meta); });
      },
      "file"_a, "arrays"_a, "metadata"_a = nb::none(),
      R"(Save a dict of arrays to a ``.gguf`` file (".gguf" is appended to a path
without it). Arrays are float32, float16, int8, int16 or int32; metadata
values are 0-d or 1-d arrays, strings or lists of strings.)");
  m.def(
      "load",
      [](nb::handle file, std::optional<std::string> format, bool return_metadata,
         std::optional<StreamOrDevice>) { return load(file, format, return_metadata); },
      "file"_a, "format"_a = nb::none(), "return_metadata"_a = false, nb::kw_only(),
      "stream"_a = nb::none(),
      R"(Load array(s) from a ``.npy``, ``.npz``, ``.safetensors`` or ``.gguf`` file.

The format comes from the file's extension unless ``format`` is given. Returns
an array for ``.npy``, a dict of arrays otherwise, and ``(arrays, metadata)``
when ``return_metadata`` is true (safetensors: strings; gguf: arrays, strings
and lists of strings). Loading reads the file
eagerly: the arrays are evaluated and usable on any device or stream.
A malformed file raises ValueError naming the file and the problem.)");
}

}  // namespace tandem::py
