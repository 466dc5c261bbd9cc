// (Over 300 lines, on purpose: the operation table, the checks made when a program is made and the interpreter that
// runs it must agree operand by operand, and are kept side by side. The kernels themselves live in their families'
// files; this file only calls them.)
//
// A program: a model's training step (its forward and backward passes) or its inference pass (a forward list only)
// as straight-line lists of operations over buffers, compiled once by the TS side (src/backend/native/program/) and
// run in one call each, so that no JavaScript runs between kernels. A buffer is a [rows, cols] block with a row
// stride, either in the program's arena (activations, their gradients, saved statistics: laid out once by the
// compiler, reused every run) or one of the arrays the caller passes to each run (the input, weights, gradients,
// moving statistics, dropout masks, the logits and their gradient; an inference pass's folded filters and
// batch-norm scales). Batched buffers have `rows` rows per example; a run takes any batch up to the one the program
// was laid out for.
//
// Everything is checked when the program is made (every operand of every operation: kind, size, channels, stride,
// the geometry of convolutions and poolings, outputs that overlap inputs) and when it runs (the batch, and each array
// the run's operations use: a Float32Array of exactly its length), so that no operation reads or writes outside its
// buffers whatever the caller passes; the first wrong argument is a RangeError or TypeError naming it.
#include <napi.h>

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "args.h"
#include "batchnorm.h"
#include "conv.h"
#include "elementwise.h"
#include "engine.h"
#include "families.h"
#include "matmul.h"
#include "pool.h"
#include "reduce.h"

namespace se {
namespace {

enum OpCode {
  kConv,
  kConvData,
  kConvFilter,
  kBatchNorm,
  kBatchNormGrad,
  kAdd,
  kMask,
  kCopy,
  kMul,
  kRelu,
  kPool,
  kPoolGrad,
  kMeanPositions,
  kMeanPositionsGrad,
  kDense,
  kDenseData,
  kDenseFilter,
  kScaleShift,
  kConvInference,
  kUnblock,
  kBlock,
  kOpCount
};

// Each operation's name, its buffer operands (in order; an absent optional one is -1) and its numeric parameters.
struct OpSpec {
  const char* name;
  std::vector<const char*> buffers;
  std::vector<const char*> params;
};

const OpSpec& Spec(int code) {
  static const OpSpec specs[kOpCount] = {
      {"conv", {"x", "w", "bias", "y"}, {"relu", "block", "h", "w", "kh", "kw", "oh", "ow", "sh", "sw", "pt", "pl", "pb", "pr"}},
      {"convData", {"dy", "w", "dx"}, {"block", "h", "w", "kh", "kw", "oh", "ow", "sh", "sw", "pt", "pl", "pb", "pr"}},
      {"convFilter", {"x", "dy", "dw", "dbias"}, {"block", "h", "w", "kh", "kw", "oh", "ow", "sh", "sw", "pt", "pl", "pb", "pr"}},
      {"batchNorm",
       {"x", "gamma", "beta", "y", "mean", "variance", "movingMean", "movingVariance", "newMovingMean", "newMovingVariance", "residual"},
       {"relu", "epsilon", "momentum"}},
      {"batchNormGrad", {"dy", "x", "mean", "variance", "gamma", "beta", "dx", "dgamma", "dbeta"}, {"relu", "epsilon", "accumulate"}},
      {"add", {"a", "b", "y"}, {"relu"}},
      {"mask", {"dy", "y", "dx"}, {"accumulate"}},
      {"copy", {"src", "dst"}, {"accumulate"}},
      {"mul", {"a", "b", "y"}, {"accumulate"}},
      {"relu", {"x", "y"}, {}},
      {"pool", {"x", "y"}, {"max", "h", "w", "fh", "fw", "oh", "ow", "sh", "sw", "pt", "pl"}},
      {"poolGrad", {"dy", "x", "dx"}, {"max", "h", "w", "fh", "fw", "oh", "ow", "sh", "sw", "pt", "pl"}},
      {"meanPositions", {"x", "y"}, {}},
      {"meanPositionsGrad", {"dy", "dx"}, {"accumulate"}},
      {"dense", {"x", "w", "bias", "y"}, {"relu"}},
      {"denseData", {"dy", "w", "dx"}, {"accumulate"}},
      {"denseFilter", {"x", "dy", "dw", "dbias"}, {}},
      {"scaleShift", {"x", "scale", "shift", "y"}, {"relu"}},
      {"convInference", {"x", "w", "bias", "y"}, {"relu", "blockIn", "blockOut", "ci", "co", "h", "w", "kh", "kw", "oh", "ow", "sh", "sw", "pt", "pl", "pb", "pr"}},
      {"unblock", {"x", "y"}, {}},
      {"block", {"x", "y"}, {}},
  };
  return specs[code];
}

struct Buffer {
  bool external;
  int64_t at;  // offset in the arena (floats), or the index of the caller's array
  bool batched;
  int64_t rows, cols, stride;

  int64_t Rows(int64_t n) const { return batched ? n * rows : rows; }
  /** Floats from the first element to one past the last, at batch n. */
  int64_t Extent(int64_t n) const { return Rows(n) == 0 ? 0 : (Rows(n) - 1) * stride + cols; }
};

struct Op {
  int code;
  std::vector<int64_t> b;  // buffer ids, -1 for an absent optional one
  std::vector<double> p;
};

// An operation's geometry parameters as integers (a parameter list of the spec's order starting at `from`).
int64_t I(const Op& op, size_t k) { return static_cast<int64_t>(op.p[k]); }

// The channels of activations with `positions` positions per example in buffer b: NHWC (block 0, [positions, c]) or
// blocked by `block` channels ([c / block positions, block]).
int64_t Channels(const Buffer& b, int64_t positions, int64_t block) { return block == 0 ? b.cols : b.rows / positions * b.cols; }

class Program {
 public:
  // constants[k], when not empty, is the program's own copy of the caller's array k (an inference program's folded
  // filters and scales), which runs then read instead of an array passed to them.
  Program(State& st, int64_t arenaFloats, int64_t maxBatch, std::vector<Buffer> buffers, std::vector<Op> forward, std::vector<Op> backward,
          size_t arrays, std::vector<std::vector<float>> constants)
      : st_(st), arenaFloats_(arenaFloats), maxBatch_(maxBatch), arrays_(arrays), buffers_(std::move(buffers)), constants_(std::move(constants)) {
    lists_[0] = std::move(forward);
    lists_[1] = std::move(backward);
    for (int which = 0; which < 2; which++) {
      std::vector<bool> seen(buffers_.size(), false);
      for (const Op& op : lists_[which])
        for (int64_t id : op.b)
          if (id >= 0 && buffers_[id].external && !seen[id] && !Constant(buffers_[id].at)) {
            seen[id] = true;
            used_[which].push_back(id);
          }
    }
    void* p = nullptr;
    if (arenaFloats_ > 0 && posix_memalign(&p, 64, static_cast<size_t>(arenaFloats_) * sizeof(float)) != 0) throw std::bad_alloc();
    arena_.reset(static_cast<float*>(p));
  }

  /** The arena's size in bytes while the program holds it (0 once released). */
  int64_t Bytes() const { return arena_ ? arenaFloats_ * static_cast<int64_t>(sizeof(float)) : 0; }
  /** Frees the arena now rather than when the handle is collected; the program cannot run after. */
  void Release() { arena_.reset(); released_ = true; }
  bool Released() const { return released_; }
  int64_t MaxBatch() const { return maxBatch_; }
  size_t Arrays() const { return arrays_; }
  const Buffer& BufferAt(int64_t id) const { return buffers_[id]; }
  /** Whether the caller's array k is a constant the program holds. */
  bool Constant(int64_t k) const { return static_cast<size_t>(k) < constants_.size() && !constants_[k].empty(); }
  /** The external buffers that list `which` reads or writes. */
  const std::vector<int64_t>& ExternalsUsedBy(int which) const { return used_[which]; }

  void Fill(float v) {
    if (arena_) std::fill(arena_.get(), arena_.get() + arenaFloats_, v);
  }

  /** Runs list `which` (0 forward, 1 backward) at batch n over the caller's arrays (checked by the caller). */
  void Run(int which, int64_t n, const std::vector<float*>& arrays) {
    std::vector<float*> ptr(buffers_.size(), nullptr);
    for (size_t i = 0; i < buffers_.size(); i++) {
      const Buffer& b = buffers_[i];
      ptr[i] = !b.external ? arena_.get() + b.at : Constant(b.at) ? constants_[b.at].data() : arrays[b.at];
    }
    for (size_t k = 0; k < lists_[which].size(); k++) Execute(lists_[which][k], k, n, ptr);
    if (which == 0) lastForwardBatch_ = n;
  }

  int64_t LastForwardBatch() const { return lastForwardBatch_; }

 private:
  Strided S(const std::vector<float*>& ptr, int64_t id) const {
    return id < 0 ? Strided{nullptr, 0} : Strided{ptr[id], buffers_[id].stride};
  }
  float* P(const std::vector<float*>& ptr, int64_t id) const { return id < 0 ? nullptr : ptr[id]; }
  const Buffer& B(int64_t id) const { return buffers_[id]; }

  ConvShape Conv(const Op& op, int64_t n, int64_t from, int64_t ci, int64_t co) const {
    return {n, I(op, from), I(op, from + 1), ci, I(op, from + 2), I(op, from + 3), co, I(op, from + 4), I(op, from + 5), I(op, from + 6),
            I(op, from + 7), 1, 1, I(op, from + 8), I(op, from + 9), I(op, from + 10), I(op, from + 11)};
  }
  // A training convolution (parameters: [relu,] block, then the geometry from `from`) between buffers x and y.
  ConvShape TrainingConv(const Op& op, int64_t n, int64_t from, int64_t x, int64_t y) const {
    const int64_t block = I(op, from - 1);
    ConvShape s = Conv(op, n, from, Channels(B(x), I(op, from) * I(op, from + 1), block), Channels(B(y), I(op, from + 4) * I(op, from + 5), block));
    s.block = block;
    return s;
  }
  PoolShape Pool(const Op& op, int64_t n, int64_t c) const {
    return {n, I(op, 1), I(op, 2), c, I(op, 3), I(op, 4), I(op, 5), I(op, 6), I(op, 7), I(op, 8), I(op, 9), I(op, 10)};
  }

  void Execute(const Op& op, size_t index, int64_t n, const std::vector<float*>& ptr) {
    const auto& b = op.b;
    switch (op.code) {
      case kConv: {
        const ConvShape s = TrainingConv(op, n, 2, b[0], b[3]);
        ConvForward(st_, s, P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]), P(ptr, b[3]), op.p[0] != 0);
        break;
      }
      case kConvData:
        ConvBackwardData(st_, TrainingConv(op, n, 1, b[2], b[0]), P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]));
        break;
      case kConvFilter: {
        const ConvShape s = TrainingConv(op, n, 1, b[0], b[1]);
        ConvBackwardWeights(st_, s, P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]));
        if (b[3] >= 0 && s.block == 0) SumColumns(P(ptr, b[1]), B(b[1]).Rows(n), s.co, P(ptr, b[3]));
        if (b[3] >= 0 && s.block != 0) SumChannelsBlocked(P(ptr, b[1]), n, s.co / s.block, s.oh * s.ow, s.block, P(ptr, b[3]));
        break;
      }
      case kBatchNorm: {  // x blocked by channels when gamma has more channels than x columns
        const Buffer& x = B(b[0]);
        const int64_t c = B(b[1]).rows * B(b[1]).cols, blocks = c / x.cols;  // gamma's length, as checked
        const float eps = static_cast<float>(op.p[1]);
        if (blocks == 1)
          BatchNormTrainForward(S(ptr, b[0]), S(ptr, b[10]), S(ptr, b[3]), x.Rows(n), c, P(ptr, b[1]), P(ptr, b[2]), eps, op.p[0] != 0, P(ptr, b[4]),
                                P(ptr, b[5]));
        else
          BatchNormTrainForwardBlocked(P(ptr, b[0]), P(ptr, b[10]), P(ptr, b[3]), {n, blocks, x.rows / blocks, x.cols}, P(ptr, b[1]), P(ptr, b[2]), eps,
                                       op.p[0] != 0, P(ptr, b[4]), P(ptr, b[5]));
        const float keep = static_cast<float>(1.0 - op.p[2]);
        if (b[6] >= 0) MovingAverage(P(ptr, b[6]), P(ptr, b[4]), P(ptr, b[8]), c, keep);
        if (b[7] >= 0) MovingAverage(P(ptr, b[7]), P(ptr, b[5]), P(ptr, b[9]), c, keep);
        break;
      }
      case kBatchNormGrad: {
        const Buffer& x = B(b[1]);
        const int64_t c = B(b[4]).rows * B(b[4]).cols, blocks = c / x.cols;
        const float eps = static_cast<float>(op.p[1]);
        if (blocks == 1)
          BatchNormTrainBackward(S(ptr, b[0]), S(ptr, b[1]), S(ptr, b[6]), x.Rows(n), c, P(ptr, b[2]), P(ptr, b[3]), P(ptr, b[4]), P(ptr, b[5]), eps,
                                 op.p[0] != 0, op.p[2] != 0, P(ptr, b[7]), P(ptr, b[8]));
        else
          BatchNormTrainBackwardBlocked(P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[6]), {n, blocks, x.rows / blocks, x.cols}, P(ptr, b[2]), P(ptr, b[3]),
                                        P(ptr, b[4]), P(ptr, b[5]), eps, op.p[0] != 0, op.p[2] != 0, P(ptr, b[7]), P(ptr, b[8]));
        break;
      }
      case kAdd:
        AddStrided(S(ptr, b[0]), S(ptr, b[1]), S(ptr, b[2]), B(b[2]).Rows(n), B(b[2]).cols, op.p[0] != 0);
        break;
      case kMask:
        MaskStrided(S(ptr, b[0]), S(ptr, b[1]), S(ptr, b[2]), B(b[2]).Rows(n), B(b[2]).cols, op.p[0] != 0);
        break;
      case kCopy:
        CopyStrided(S(ptr, b[0]), S(ptr, b[1]), B(b[1]).Rows(n), B(b[1]).cols, op.p[0] != 0);
        break;
      case kMul:
        MulStrided(S(ptr, b[0]), S(ptr, b[1]), S(ptr, b[2]), B(b[2]).Rows(n), B(b[2]).cols, op.p[0] != 0);
        break;
      case kRelu:
        ReluStrided(S(ptr, b[0]), S(ptr, b[1]), B(b[1]).Rows(n), B(b[1]).cols);
        break;
      case kPool:  // x may be blocked by channels: each example's blocks pooled as examples of their own
        PoolForward(Pool(op, n * (B(b[0]).rows / (I(op, 1) * I(op, 2))), B(b[0]).cols), P(ptr, b[0]), P(ptr, b[1]), op.p[0] != 0);
        break;
      case kPoolGrad: {  // dx may be blocked by channels, as x in kPool
        const PoolShape s = Pool(op, n * (B(b[2]).rows / (I(op, 1) * I(op, 2))), B(b[2]).cols);
        if (op.p[0] != 0) MaxPoolBackward(s, P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]));
        else AvgPoolBackward(s, P(ptr, b[0]), P(ptr, b[2]));
        break;
      }
      case kMeanPositions: {  // x may be blocked by channels (y then has blocks x.cols columns)
        const int64_t blocks = B(b[1]).cols / B(b[0]).cols;
        GlobalAverageForward(P(ptr, b[0]), P(ptr, b[1]), n * blocks, B(b[0]).rows / blocks, B(b[0]).cols);
        break;
      }
      case kMeanPositionsGrad: {  // dx may be blocked by channels (dy then has blocks dx.cols columns)
        const int64_t blocks = B(b[0]).cols / B(b[1]).cols;
        GlobalAverageBackward(P(ptr, b[0]), P(ptr, b[1]), n * blocks, B(b[1]).rows / blocks, B(b[1]).cols, op.p[0] != 0);
        break;
      }
      case kDense:
        DenseForward(P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]), P(ptr, b[3]), n, B(b[0]).cols, B(b[3]).cols, op.p[0] != 0);
        break;
      case kDenseData:
        DenseBackwardData(P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]), n, B(b[2]).cols, B(b[0]).cols, op.p[0] != 0);
        break;
      case kDenseFilter:
        DenseBackwardWeights(P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]), n, B(b[0]).cols, B(b[1]).cols);
        if (b[3] >= 0) SumColumns(P(ptr, b[1]), n, B(b[1]).cols, P(ptr, b[3]));
        break;
      case kConvInference: {
        const ConvShape s = Conv(op, n, 5, I(op, 3), I(op, 4));
        ConvInference(st_, s, static_cast<int>(op.p[1]), static_cast<int>(op.p[2]), P(ptr, b[0]), P(ptr, b[1]), P(ptr, b[2]), P(ptr, b[3]), op.p[0] != 0, prepared_, index);
        break;
      }
      case kUnblock: {
        const int64_t lanes = B(b[0]).cols, blocks = B(b[1]).cols / lanes;
        Unblock(P(ptr, b[0]), P(ptr, b[1]), n, blocks, B(b[1]).rows, lanes);
        break;
      }
      case kBlock: {
        const int64_t lanes = B(b[1]).cols, blocks = B(b[0]).cols / lanes;
        Block(P(ptr, b[0]), P(ptr, b[1]), n, blocks, B(b[0]).rows, lanes);
        break;
      }
      case kScaleShift:
        ScaleShiftStrided(S(ptr, b[0]), S(ptr, b[3]), B(b[3]).Rows(n), B(b[3]).cols, P(ptr, b[1]), P(ptr, b[2]), op.p[0] != 0);
        break;
    }
  }

  State& st_;
  int64_t arenaFloats_, maxBatch_;
  size_t arrays_;
  std::vector<Buffer> buffers_;
  std::vector<std::vector<float>> constants_;
  std::vector<Op> lists_[2];
  std::vector<int64_t> used_[2];
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  std::unique_ptr<float, Free> arena_;
  int64_t lastForwardBatch_ = 0;
  bool released_ = false;
  PreparedFilters prepared_;
};

// ---- Checking a program as it is made ----

// Checks one operation's operands and parameters; `fail` throws naming the operation.
class OpChecker {
 public:
  // constants: per caller's array, the values the program keeps for it (empty for an array each run passes).
  OpChecker(const Args& args, const std::vector<Buffer>& buffers, const std::vector<std::vector<float>>& constants, int64_t maxBatch, const Op& op,
            size_t index, const char* list)
      : args_(args), buffers_(buffers), constants_(constants), maxBatch_(maxBatch), op_(op),
        where_(std::string(list) + " op " + std::to_string(index) + " (" + Spec(op.code).name + "): ") {}

  void Fail(const std::string& what) const { args_.Check(false, where_ + what); }
  void Need(bool ok, const std::string& what) const {
    if (!ok) Fail(what);
  }

  /** Operand k, present; its buffer. */
  const Buffer& Operand(size_t k) const {
    Need(op_.b[k] >= 0, std::string(Spec(op_.code).buffers[k]) + " is required");
    return buffers_[op_.b[k]];
  }
  bool Present(size_t k) const { return op_.b[k] >= 0; }
  const char* Name(size_t k) const { return Spec(op_.code).buffers[k]; }

  /** Operand k is a batched buffer of `rows` rows per example and `cols` columns, contiguous when dense. */
  void Batched(size_t k, int64_t rows, int64_t cols, bool dense) const {
    const Buffer& b = Operand(k);
    Need(b.batched && b.rows == rows && b.cols == cols, std::string(Name(k)) + " must be [batch, " + std::to_string(rows) + ", " + std::to_string(cols) + "]");
    if (dense) Need(b.stride == b.cols, std::string(Name(k)) + " must be contiguous");
  }
  /**
   * Operand k holds contiguous activations of `positions` positions per example, NHWC (block 0) or blocked by
   * `block` channels ([batch, c / block positions, block]): their channels.
   */
  int64_t Activations(size_t k, int64_t positions, int64_t block) const {
    const Buffer& b = Operand(k);
    if (block == 0) {
      Batched(k, positions, b.cols, true);
      return b.cols;
    }
    Need(b.cols == block && b.rows % positions == 0, std::string(Name(k)) + " must be blocked by " + std::to_string(block) + " channels");
    Batched(k, b.rows, block, true);
    return b.rows / positions * block;
  }
  /** Parameter k is a channel block: 0 (NHWC), 8 or 16. */
  int64_t BlockParam(size_t k) const {
    const int64_t block = Int(k, 0);
    Need(block == 0 || block == 8 || block == 16, std::string(Spec(op_.code).params[k]) + " must be 0, 8 or 16");
    return block;
  }
  /**
   * The channels of a batch norm whose x is operand `x` and gamma operand `gamma` (gamma's length): x holds them
   * NHWC (x.cols of them) or, when gamma has more, blocked by x.cols (8 or 16) channels, contiguous.
   */
  int64_t BatchNormChannels(size_t x, size_t gamma) const {
    const Buffer &b = Operand(x), &g = Operand(gamma);
    const int64_t ch = g.rows * g.cols;
    Need(b.batched, std::string(Name(x)) + " must be batched");
    Need(ch % b.cols == 0, std::string(Name(gamma)) + "'s length must be a multiple of " + Name(x) + "'s columns");
    const int64_t blocks = ch / b.cols;
    if (blocks > 1) {
      Need((b.cols == 8 || b.cols == 16) && b.rows % blocks == 0, std::string(Name(x)) + " must be blocked by 8 or 16 channels");
      Need(b.stride == b.cols, std::string(Name(x)) + " must be contiguous when blocked");
    }
    return ch;
  }
  /** Operand k (when present or required) is a contiguous unbatched buffer of exactly `length` floats. */
  void Fixed(size_t k, int64_t length, bool required = true) const {
    if (!required && !Present(k)) return;
    const Buffer& b = Operand(k);
    Need(!b.batched && b.stride == b.cols && b.rows * b.cols == length, std::string(Name(k)) + " must hold " + std::to_string(length) + " floats");
  }
  /** Operand k is one of the program's constants (an array it copied when made and keeps). */
  void Constant(size_t k) const {
    const Buffer& b = Operand(k);
    Need(b.external && !constants_[b.at].empty(), std::string(Name(k)) + " must be one of the program's constants");
  }
  /** Operands a and b, both present, have the same shape (strides may differ). */
  void SameShape(size_t a, size_t b) const {
    const Buffer &x = Operand(a), &y = Operand(b);
    Need(x.batched == y.batched && x.rows == y.rows && x.cols == y.cols, std::string(Name(a)) + " and " + Name(b) + " must have the same shape");
  }

  /** The output (operand `out`) shares no memory with operand `in`, or (when `exact` is allowed) is the very same block. */
  void Apart(size_t out, size_t in, bool exactAllowed) const {
    if (!Present(out) || !Present(in)) return;
    const Buffer &o = buffers_[op_.b[out]], &i = buffers_[op_.b[in]];
    if (o.external != i.external) return;
    if (o.external) {
      Need(o.at != i.at || (exactAllowed && o.stride == i.stride), std::string(Name(out)) + " must not be " + Name(in));
      return;
    }
    const int64_t o0 = o.at, o1 = o.at + o.Extent(maxBatch_), i0 = i.at, i1 = i.at + i.Extent(maxBatch_);
    const bool disjoint = o1 <= i0 || i1 <= o0;
    const bool same = o.at == i.at && o.stride == i.stride && o.rows == i.rows && o.cols == i.cols && o.batched == i.batched;
    Need(disjoint || (exactAllowed && same), std::string(Name(out)) + " overlaps " + Name(in));
  }

  int64_t Int(size_t k, int64_t min) const {
    const double v = op_.p[k];
    Need(v == std::floor(v) && v >= static_cast<double>(min) && std::fabs(v) < static_cast<double>(int64_t{1} << 40),
         std::string(Spec(op_.code).params[k]) + " must be an integer >= " + std::to_string(min));
    return static_cast<int64_t>(v);
  }
  bool Flag(size_t k) const {
    const double v = op_.p[k];
    Need(v == 0 || v == 1, std::string(Spec(op_.code).params[k]) + " must be 0 or 1");
    return v != 0;
  }

 private:
  const Args& args_;
  const std::vector<Buffer>& buffers_;
  const std::vector<std::vector<float>>& constants_;
  int64_t maxBatch_;
  const Op& op_;
  std::string where_;
};

// The geometry of a convolution (parameters from `from`: h w kh kw oh ow sh sw pt pl pb pr) is one oneDNN computes:
// sizes and strides at least 1, top/left padding at least 0, and each output size the one the rest implies.
void CheckConvGeometry(const OpChecker& c, size_t from) {
  const int64_t h = c.Int(from, 1), w = c.Int(from + 1, 1), kh = c.Int(from + 2, 1), kw = c.Int(from + 3, 1), oh = c.Int(from + 4, 1),
                ow = c.Int(from + 5, 1), sh = c.Int(from + 6, 1), sw = c.Int(from + 7, 1), pt = c.Int(from + 8, 0), pl = c.Int(from + 9, 0),
                pb = c.Int(from + 10, -(int64_t{1} << 39)), pr = c.Int(from + 11, -(int64_t{1} << 39));
  const int64_t spanH = h + pt + pb - kh, spanW = w + pl + pr - kw;
  c.Need(spanH >= 0 && spanW >= 0 && spanH / sh + 1 == oh && spanW / sw + 1 == ow, "the output size does not follow from the input, filter, strides and paddings");
  c.Need(pb + sh > 0 && pr + sw > 0, "the bottom and right paddings must be above -stride");
}

// A pooling's geometry (parameters 1..10: h w fh fw oh ow sh sw pt pl): sizes, windows and strides at least 1,
// paddings at least 0 (the loops skip positions outside the input, so any such geometry stays inside the buffers).
void CheckPoolGeometry(const OpChecker& c) {
  for (size_t k = 1; k <= 8; k++) c.Int(k, 1);
  c.Int(9, 0);
  c.Int(10, 0);
}

void CheckOp(const OpChecker& c, const Op& op) {
  switch (op.code) {
    case kConv: {
      c.Flag(0);
      const int64_t block = c.BlockParam(1);
      CheckConvGeometry(c, 2);
      const int64_t h = c.Int(2, 1), w = c.Int(3, 1), kh = c.Int(4, 1), kw = c.Int(5, 1), oh = c.Int(6, 1), ow = c.Int(7, 1);
      const int64_t ci = c.Activations(0, h * w, block), co = c.Activations(3, oh * ow, block);
      c.Fixed(1, kh * kw * ci * co);
      c.Fixed(2, co, false);
      for (size_t in : {0, 1, 2}) c.Apart(3, in, false);
      break;
    }
    case kConvData:
    case kConvFilter: {
      const int64_t block = c.BlockParam(0);
      CheckConvGeometry(c, 1);
      const int64_t h = c.Int(1, 1), w = c.Int(2, 1), kh = c.Int(3, 1), kw = c.Int(4, 1), oh = c.Int(5, 1), ow = c.Int(6, 1);
      if (op.code == kConvData) {
        const int64_t ci = c.Activations(2, h * w, block), co = c.Activations(0, oh * ow, block);
        c.Fixed(1, kh * kw * ci * co);
        c.Apart(2, 0, false);
        c.Apart(2, 1, false);
      } else {
        const int64_t ci = c.Activations(0, h * w, block), co = c.Activations(1, oh * ow, block);
        c.Fixed(2, kh * kw * ci * co);
        c.Fixed(3, co, false);
        for (size_t out : {2, 3})
          for (size_t in : {0, 1}) c.Apart(out, in, false);
        c.Apart(3, 2, false);
      }
      break;
    }
    case kBatchNorm: {
      c.Flag(0);
      c.Need(op.p[1] > 0 && std::isfinite(op.p[1]), "epsilon must be positive");
      c.Need(std::isfinite(op.p[2]), "momentum must be finite");
      const int64_t ch = c.BatchNormChannels(0, 1);
      c.SameShape(0, 3);
      if (c.Present(10)) c.SameShape(10, 3);
      for (size_t k : {3, 10})
        if (ch != c.Operand(0).cols && c.Present(k))
          c.Need(c.Operand(k).stride == c.Operand(k).cols, std::string(c.Name(k)) + " must be contiguous when blocked");
      for (size_t k : {1, 2, 4, 5}) c.Fixed(k, ch);
      const bool moving = c.Present(6);
      for (size_t k : {6, 7, 8, 9}) {
        c.Need(c.Present(k) == moving, "the moving statistics are all given or none");
        c.Fixed(k, ch, false);
      }
      for (size_t out : {3, 4, 5, 8, 9})
        for (size_t in : {0, 1, 2, 6, 7, 10}) c.Apart(out, in, false);
      c.Apart(3, 4, false);
      c.Apart(3, 5, false);
      c.Apart(4, 5, false);
      c.Apart(8, 9, false);
      break;
    }
    case kBatchNormGrad: {
      const bool relu = c.Flag(0);
      c.Need(op.p[1] > 0 && std::isfinite(op.p[1]), "epsilon must be positive");
      c.Flag(2);
      const int64_t ch = c.BatchNormChannels(1, 4);
      const bool blocked = ch != c.Operand(1).cols;
      c.SameShape(1, 0);
      if (c.Present(6)) c.SameShape(1, 6);
      for (size_t k : {0, 6})
        if (blocked && c.Present(k)) c.Need(c.Operand(k).stride == c.Operand(k).cols, std::string(c.Name(k)) + " must be contiguous when blocked");
      for (size_t k : {2, 3, 4, 7, 8}) c.Fixed(k, ch);
      c.Fixed(5, ch, relu);  // beta: the ReLU's mask recomputes the forward's output
      for (size_t out : {6, 7, 8})
        for (size_t in : {0, 1, 2, 3, 4, 5}) c.Apart(out, in, false);
      c.Apart(7, 6, false);
      c.Apart(8, 6, false);
      c.Apart(8, 7, false);
      break;
    }
    case kAdd:
    case kMask:
    case kMul: {
      c.Flag(0);
      c.SameShape(0, 2);
      c.SameShape(1, 2);
      c.Need(c.Operand(2).batched, "y must be batched");
      c.Apart(2, 0, true);
      c.Apart(2, 1, true);
      break;
    }
    case kCopy:
      c.Flag(0);
      c.SameShape(0, 1);
      c.Apart(1, 0, false);
      break;
    case kRelu:
      c.SameShape(0, 1);
      c.Need(c.Operand(1).batched, "y must be batched");
      c.Apart(1, 0, true);
      break;
    case kPool:
    case kPoolGrad: {
      const bool isMax = c.Flag(0);
      CheckPoolGeometry(c);
      const int64_t h = c.Int(1, 1), w = c.Int(2, 1), oh = c.Int(5, 1), ow = c.Int(6, 1);
      if (op.code == kPool) {
        // blocks > 1: activations blocked by channels, each block pooled as an example of its own
        const int64_t ch = c.Operand(0).cols, blocks = c.Operand(0).rows / (h * w);
        c.Need(blocks >= 1, "x must hold h w rows per example (or per block of channels)");
        c.Batched(0, blocks * h * w, ch, true);
        c.Batched(1, blocks * oh * ow, ch, true);
        c.Apart(1, 0, false);
      } else {
        const int64_t ch = c.Operand(2).cols, blocks = c.Operand(2).rows / (h * w);
        c.Need(blocks >= 1, "dx must hold h w rows per example (or per block of channels)");
        c.Batched(0, blocks * oh * ow, ch, true);
        c.Batched(2, blocks * h * w, ch, true);
        if (isMax) c.Batched(1, blocks * h * w, ch, true);
        c.Apart(2, 0, false);
        c.Apart(2, 1, false);
      }
      break;
    }
    case kMeanPositions: {
      // y of blocks x.cols columns: x blocked by channels, its rows per example the blocks' positions one after another
      const Buffer &x = c.Operand(0), &y = c.Operand(1);
      const int64_t blocks = y.cols / x.cols;
      c.Need(blocks >= 1 && y.cols == blocks * x.cols && x.rows % blocks == 0, "y's columns must be a multiple of x's, which divides x's rows");
      c.Batched(0, x.rows, x.cols, true);
      c.Batched(1, 1, y.cols, true);
      c.Apart(1, 0, false);
      break;
    }
    case kConvInference: {
      c.Flag(0);
      const int64_t blockIn = c.BlockParam(1), blockOut = c.BlockParam(2);
      CheckConvGeometry(c, 5);
      const int64_t ci = c.Int(3, 1), co = c.Int(4, 1), h = c.Int(5, 1), w = c.Int(6, 1), kh = c.Int(7, 1), kw = c.Int(8, 1), oh = c.Int(9, 1),
                    ow = c.Int(10, 1);
      c.Need((blockIn == 0 || ci % blockIn == 0) && (blockOut == 0 || co % blockOut == 0), "blocked activations need a multiple of their block's channels");
      c.Need(blockIn == blockOut || (blockIn == 0 && ci == 1), "blockIn must equal blockOut, or be 0 for a one-channel source");
      if (blockIn != 0) c.Batched(0, ci / blockIn * h * w, blockIn, true);
      else c.Batched(0, h * w, ci, true);
      if (blockOut != 0) c.Batched(3, co / blockOut * oh * ow, blockOut, true);
      else c.Batched(3, oh * ow, co, true);
      c.Fixed(1, kh * kw * ci * co);
      // prepared once (reordered into the primitive's layout) and kept: a filter passed per run would go stale
      c.Constant(1);
      c.Fixed(2, co, false);
      for (size_t in : {0, 1, 2}) c.Apart(3, in, false);
      break;
    }
    case kBlock: {
      const Buffer& x = c.Operand(0);
      const Buffer& y = c.Operand(1);
      c.Need(y.cols == 8 || y.cols == 16, "y must be blocked by 8 or 16 channels");
      c.Need(x.cols % y.cols == 0, "x must have a multiple of y's columns");
      c.Batched(0, x.rows, x.cols, true);
      c.Batched(1, x.cols / y.cols * x.rows, y.cols, true);
      c.Apart(1, 0, false);
      break;
    }
    case kUnblock: {
      const Buffer& x = c.Operand(0);
      const Buffer& y = c.Operand(1);
      c.Need(x.cols == 8 || x.cols == 16, "x must be blocked by 8 or 16 channels");
      c.Need(y.cols % x.cols == 0, "y must have a multiple of x's columns");
      c.Batched(0, y.cols / x.cols * y.rows, x.cols, true);
      c.Batched(1, y.rows, y.cols, true);
      c.Apart(1, 0, false);
      break;
    }
    case kMeanPositionsGrad: {
      c.Flag(0);
      // dy of blocks dx.cols columns: dx blocked by channels, as x in meanPositions
      const Buffer &dy = c.Operand(0), &dx = c.Operand(1);
      const int64_t blocks = dy.cols / dx.cols;
      c.Need(blocks >= 1 && dy.cols == blocks * dx.cols && dx.rows % blocks == 0, "dy's columns must be a multiple of dx's, which divides dx's rows");
      c.Batched(1, dx.rows, dx.cols, true);
      c.Batched(0, 1, dy.cols, true);
      c.Apart(1, 0, false);
      break;
    }
    case kScaleShift: {
      c.Flag(0);
      c.SameShape(0, 3);
      c.Need(c.Operand(3).batched, "y must be batched");
      c.Fixed(1, c.Operand(3).cols);
      c.Fixed(2, c.Operand(3).cols);
      c.Apart(3, 0, true);
      c.Apart(3, 1, false);
      c.Apart(3, 2, false);
      break;
    }
    case kDense:
    case kDenseData:
    case kDenseFilter: {
      const size_t xi = op.code == kDenseData ? 2 : 0, yi = op.code == kDense ? 3 : op.code == kDenseData ? 0 : 1, wi = op.code == kDenseFilter ? 2 : 1;
      const int64_t k = c.Operand(xi).cols, m = c.Operand(yi).cols;
      c.Batched(xi, 1, k, true);
      c.Batched(yi, 1, m, true);
      c.Fixed(wi, k * m);
      if (op.code == kDense) {
        c.Flag(0);
        c.Fixed(2, m, false);
        for (size_t in : {0, 1, 2}) c.Apart(3, in, false);
      } else if (op.code == kDenseData) {
        c.Flag(0);
        c.Apart(2, 0, false);
        c.Apart(2, 1, false);
      } else {
        c.Fixed(3, m, false);
        for (size_t out : {2, 3})
          for (size_t in : {0, 1}) c.Apart(out, in, false);
        c.Apart(3, 2, false);
      }
      break;
    }
  }
}

// ---- The addon's functions ----

// The elements of a JavaScript array as numbers, NaN for any that is not one (the callers' checks then name it).
std::vector<double> Numbers(const Napi::Array& r) {
  std::vector<double> v(r.Length());
  for (uint32_t k = 0; k < r.Length(); k++) {
    const Napi::Value e = r.Get(k);
    v[k] = e.IsNumber() ? e.As<Napi::Number>().DoubleValue() : NAN;
  }
  return v;
}

// A list of buffers, each [external, at, batched, rows, cols, stride].
std::vector<Buffer> ParseBuffers(const Args& args, const Napi::Value& list, const char* name) {
  if (!list.IsArray()) throw Napi::TypeError::New(args.Env(), std::string(args.Function()) + ": " + name + " must be an Array");
  Napi::Array a = list.As<Napi::Array>();
  std::vector<Buffer> out;
  for (uint32_t i = 0; i < a.Length(); i++) {
    const Napi::Value row = a.Get(i);
    const std::string what = std::string(name) + "[" + std::to_string(i) + "]";
    if (!row.IsArray() || row.As<Napi::Array>().Length() != 6) throw Napi::TypeError::New(args.Env(), std::string(args.Function()) + ": " + what + " must be an Array of 6 numbers");
    const std::vector<double> d = Numbers(row.As<Napi::Array>());
    int64_t v[6];
    for (uint32_t k = 0; k < 6; k++) {
      args.Check(d[k] == std::floor(d[k]) && d[k] >= 0 && d[k] < static_cast<double>(int64_t{1} << 40), what + "[" + std::to_string(k) + "] must be an integer >= 0");
      v[k] = static_cast<int64_t>(d[k]);
    }
    Buffer b{v[0] != 0, v[1], v[2] != 0, v[3], v[4], v[5]};
    args.Check(v[0] <= 1 && v[2] <= 1, what + ": external and batched must be 0 or 1");
    args.Check(b.cols >= 1 && b.rows >= 1 && b.stride >= b.cols, what + ": rows and cols must be at least 1 and the stride at least cols");
    if (b.external) args.Check(b.stride == b.cols, what + ": a caller's array is contiguous");
    out.push_back(b);
  }
  return out;
}

// A number as a person writes it: 99, 2.5, NaN.
std::string Describe(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return std::to_string(static_cast<int64_t>(v));
  std::ostringstream out;
  out << v;
  return out.str();
}

std::vector<Op> ParseOps(const Args& args, const Napi::Value& list, const char* name, size_t buffers) {
  if (!list.IsArray()) throw Napi::TypeError::New(args.Env(), std::string(args.Function()) + ": " + name + " must be an Array");
  Napi::Array a = list.As<Napi::Array>();
  std::vector<Op> ops;
  for (uint32_t i = 0; i < a.Length(); i++) {
    const Napi::Value row = a.Get(i);
    const std::string what = std::string(name) + "[" + std::to_string(i) + "]";
    args.Check(row.IsArray() && row.As<Napi::Array>().Length() >= 1, what + " must be an Array [code, ...buffers, ...params]");
    const std::vector<double> v = Numbers(row.As<Napi::Array>());
    args.Check(v[0] == std::floor(v[0]) && v[0] >= 0 && v[0] < kOpCount, what + ": unknown operation " + Describe(v[0]));
    Op op;
    op.code = static_cast<int>(v[0]);
    const OpSpec& spec = Spec(op.code);
    args.Check(v.size() == 1 + spec.buffers.size() + spec.params.size(),
               what + " (" + spec.name + ") must hold 1 + " + std::to_string(spec.buffers.size()) + " buffers + " + std::to_string(spec.params.size()) + " parameters");
    for (size_t k = 0; k < spec.buffers.size(); k++) {
      const double d = v[1 + k];
      args.Check(d == std::floor(d) && d >= -1 && d < static_cast<double>(buffers), what + " (" + spec.name + "): " + spec.buffers[k] + " is not a buffer");
      op.b.push_back(static_cast<int64_t>(d));
    }
    for (size_t k = 0; k < spec.params.size(); k++) {
      const double d = v[1 + spec.buffers.size() + k];
      args.Check(std::isfinite(d), what + " (" + spec.name + "): " + spec.params[k] + " must be a finite number");
      op.p.push_back(d);
    }
    ops.push_back(std::move(op));
  }
  return ops;
}

// Argument 5 of createProgram, when given: for each caller's array k, null or the values of a constant the program
// copies and keeps (an unbatched array, exactly as long as its buffer).
std::vector<std::vector<float>> ParseConstants(const Args& args, const Napi::CallbackInfo& info, const std::vector<Buffer>& buffers, size_t arrays) {
  std::vector<std::vector<float>> out(arrays);
  if (info.Length() < 6 || info[5].IsUndefined()) return out;
  if (!info[5].IsArray() || info[5].As<Napi::Array>().Length() != arrays)
    throw Napi::TypeError::New(args.Env(), "createProgram: constants must be an Array with one entry per array");
  Napi::Array given = info[5].As<Napi::Array>();
  for (const Buffer& b : buffers) {
    if (!b.external) continue;
    const Napi::Value v = given.Get(static_cast<uint32_t>(b.at));
    if (v.IsNull() || v.IsUndefined()) continue;
    const std::string what = "constants[" + std::to_string(b.at) + "]";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(args.Env(), "createProgram: " + what + " must be a Float32Array or null");
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    args.Check(!b.batched, what + ": only an unbatched array can be a constant");
    args.Check(static_cast<int64_t>(a.ElementLength()) == b.rows * b.cols, what + " holds " + std::to_string(a.ElementLength()) + " floats where its buffer holds " + std::to_string(b.rows * b.cols));
    out[b.at].assign(a.Data(), a.Data() + a.ElementLength());
  }
  return out;
}

constexpr napi_type_tag kProgramTag = {0x5e7a1c0de2f04b11ULL, 0x9a6b3d58c1e27f40ULL};

// Argument i: a program this environment made.
Program& ProgramOf(const Args& args, const Napi::CallbackInfo& info, size_t i) {
  const Napi::Value v = info[i];
  args.Check(v.IsExternal() && v.As<Napi::External<Program>>().CheckTypeTag(&kProgramTag), "argument " + std::to_string(i) + " (program) is not a program");
  return *v.As<Napi::External<Program>>().Data();
}

// createProgram(arenaFloats, maxBatch, buffers, forward, backward[, constants]): a program, checked (see the top of
// this file). Each external buffer names a caller's array by its index `at`; every index from 0 up is named exactly
// once. The arrays given in `constants` are copied and kept: runs read those copies, whatever they pass.
Napi::Value Create(const Napi::CallbackInfo& info) {
  Args args(info, "createProgram");
  const int64_t arenaFloats = args.Integer(0, "arenaFloats");
  const int64_t maxBatch = args.Integer(1, "maxBatch", 1);
  std::vector<Buffer> buffers = ParseBuffers(args, info[2], "buffers");
  std::vector<int> named;
  for (size_t i = 0; i < buffers.size(); i++) {
    const Buffer& b = buffers[i];
    const std::string what = "buffers[" + std::to_string(i) + "]";
    if (b.external) {
      args.Check(b.at < static_cast<int64_t>(buffers.size()), what + ": no such array index");
      if (named.size() <= static_cast<size_t>(b.at)) named.resize(b.at + 1, 0);
      args.Check(named[b.at]++ == 0, what + ": array " + std::to_string(b.at) + " is named twice");
    } else {
      const int64_t rows = Times(args, b.batched ? maxBatch : 1, b.rows);
      Times(args, rows, b.stride);
      args.Check(b.at + b.Extent(maxBatch) <= arenaFloats, what + " lies outside the arena");
    }
  }
  for (size_t k = 0; k < named.size(); k++) args.Check(named[k] == 1, "array " + std::to_string(k) + " is named by no buffer");
  std::vector<Op> lists[2] = {ParseOps(args, info[3], "forward", buffers.size()), ParseOps(args, info[4], "backward", buffers.size())};
  std::vector<std::vector<float>> constants = ParseConstants(args, info, buffers, named.size());
  for (int which = 0; which < 2; which++)
    for (size_t i = 0; i < lists[which].size(); i++)
      CheckOp(OpChecker(args, buffers, constants, maxBatch, lists[which][i], i, which == 0 ? "forward" : "backward"), lists[which][i]);
  State& st = State::Of(info.Env());
  auto* program = new Program(st, arenaFloats, maxBatch, std::move(buffers), std::move(lists[0]), std::move(lists[1]), named.size(), std::move(constants));
  const int64_t bytes = program->Bytes();
  Napi::External<Program> handle = Napi::External<Program>::New(info.Env(), program, [](Napi::Env env, Program* p) {
    Napi::MemoryManagement::AdjustExternalMemory(env, -p->Bytes());
    delete p;
  });
  handle.TypeTag(&kProgramTag);
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), bytes);
  return handle;
}

// runProgram(program, which, batch, arrays): runs the forward (0) or backward (1) list at a batch of at most the
// program's; arrays[k] is the caller's array k (a Float32Array of exactly its length at this batch where the list
// uses it). The backward list runs at the batch of the last forward run.
Napi::Value Run(const Napi::CallbackInfo& info) {
  Args args(info, "runProgram");
  Program& program = ProgramOf(args, info, 0);
  args.Check(!program.Released(), "the program was released");
  const int64_t which = args.Integer(1, "which");
  args.Check(which <= 1, "which must be 0 (forward) or 1 (backward)");
  const int64_t n = args.Integer(2, "batch", 1);
  args.Check(n <= program.MaxBatch(), "batch " + std::to_string(n) + " is larger than the program's " + std::to_string(program.MaxBatch()));
  if (which == 1) args.Check(program.LastForwardBatch() == n, "the backward pass runs after a forward pass at the same batch");
  if (!info[3].IsArray()) throw Napi::TypeError::New(info.Env(), "runProgram: argument 3 (arrays) must be an Array");
  Napi::Array given = info[3].As<Napi::Array>();
  args.Check(given.Length() == program.Arrays(), "arrays must hold " + std::to_string(program.Arrays()) + " entries");
  std::vector<float*> arrays(program.Arrays(), nullptr);
  for (int64_t id : program.ExternalsUsedBy(static_cast<int>(which))) {
    const Buffer& b = program.BufferAt(id);
    const Napi::Value v = given.Get(static_cast<uint32_t>(b.at));
    const std::string what = "arrays[" + std::to_string(b.at) + "]";
    if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array)
      throw Napi::TypeError::New(info.Env(), "runProgram: " + what + " must be a Float32Array");
    Napi::Float32Array a = v.As<Napi::Float32Array>();
    const int64_t length = b.Rows(n) * b.cols;
    args.Check(static_cast<int64_t>(a.ElementLength()) == length,
               what + " holds " + std::to_string(a.ElementLength()) + " floats where the batch needs " + std::to_string(length));
    arrays[b.at] = a.Data();
  }
  program.Run(static_cast<int>(which), n, arrays);
  return info.Env().Undefined();
}

// fillProgram(program, value): every float of the arena set to value (tests fill it with NaN, so that an operation
// that reads what no operation wrote shows).
Napi::Value Fill(const Napi::CallbackInfo& info) {
  Args args(info, "fillProgram");
  ProgramOf(args, info, 0).Fill(static_cast<float>(args.Number(1, "value")));
  return info.Env().Undefined();
}

// releaseProgram(program): frees its arena now (a large one need not wait for the collector); it cannot run after.
Napi::Value Release(const Napi::CallbackInfo& info) {
  Args args(info, "releaseProgram");
  Program& program = ProgramOf(args, info, 0);
  Napi::MemoryManagement::AdjustExternalMemory(info.Env(), -program.Bytes());
  program.Release();
  return info.Env().Undefined();
}

// programBytes(program): the size of its arena.
Napi::Value Bytes(const Napi::CallbackInfo& info) {
  Args args(info, "programBytes");
  return Napi::Number::New(info.Env(), static_cast<double>(ProgramOf(args, info, 0).Bytes()));
}

// programOperations(): { name: [code, buffer names, parameter names] } for every operation, so that the TS side
// takes its codes from here.
Napi::Value Operations(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  for (int code = 0; code < kOpCount; code++) {
    const OpSpec& spec = Spec(code);
    Napi::Array buffers = Napi::Array::New(env), params = Napi::Array::New(env);
    for (size_t k = 0; k < spec.buffers.size(); k++) buffers.Set(static_cast<uint32_t>(k), spec.buffers[k]);
    for (size_t k = 0; k < spec.params.size(); k++) params.Set(static_cast<uint32_t>(k), spec.params[k]);
    Napi::Array entry = Napi::Array::New(env);
    entry.Set(0u, code);
    entry.Set(1u, buffers);
    entry.Set(2u, params);
    out.Set(spec.name, entry);
  }
  return out;
}

}  // namespace

void InitProgram(Napi::Env env, Napi::Object exports) {
  Export(env, exports, "createProgram", Create);
  Export(env, exports, "runProgram", Run);
  Export(env, exports, "fillProgram", Fill);
  Export(env, exports, "programBytes", Bytes);
  Export(env, exports, "releaseProgram", Release);
  Export(env, exports, "programOperations", Operations);
}

}  // namespace se
