#pragma once
// The whole C++ API of Tandem.
#include "tandem/allocator.h"
#include "tandem/array.h"
#include "tandem/device.h"
#include "tandem/dtype.h"
#include "tandem/ops/binary.h"
#include "tandem/ops/creation.h"
#include "tandem/ops/shape.h"
#include "tandem/ops/unary.h"
#include "tandem/stream.h"
#include "tandem/transforms.h"
