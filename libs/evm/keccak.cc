#include "libs/evm/keccak.h"

#include <cstring>

namespace chainsync::evm {
namespace {

constexpr uint64_t kRoundConstants[24] = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808AULL,
    0x8000000080008000ULL, 0x000000000000808BULL, 0x0000000080000001ULL,
    0x8000000080008081ULL, 0x8000000000008009ULL, 0x000000000000008AULL,
    0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000AULL,
    0x000000008000808BULL, 0x800000000000008BULL, 0x8000000000008089ULL,
    0x8000000000008003ULL, 0x8000000000008002ULL, 0x8000000000000080ULL,
    0x000000000000800AULL, 0x800000008000000AULL, 0x8000000080008081ULL,
    0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation offsets and lane order of the combined rho and pi steps.
constexpr int kRotations[24] = {1,  3,  6,  10, 15, 21, 28, 36, 45, 55, 2,  14,
                                27, 41, 56, 8,  25, 43, 62, 18, 39, 61, 20, 44};
constexpr int kLanes[24] = {10, 7,  11, 17, 18, 3, 5,  16, 8,  21, 24, 4,
                            15, 23, 19, 13, 12, 2, 20, 14, 22, 9,  6,  1};

inline uint64_t RotateLeft(uint64_t value, int bits) {
  return (value << bits) | (value >> (64 - bits));
}

// The loops are unrolled so that the compiler keeps the lanes in registers
// and resolves every index at compile time: as loops, a permutation took
// about 1 µs, and an address's checksum (the indexer renders two per
// Transfer) needs one.
void KeccakF1600(uint64_t state[25]) {
  uint64_t lanes[25];
  std::memcpy(lanes, state, sizeof(lanes));
  for (const uint64_t round_constant : kRoundConstants) {
    uint64_t columns[5];
    // theta
#pragma GCC unroll 5
    for (int i = 0; i < 5; ++i) {
      columns[i] = lanes[i] ^ lanes[i + 5] ^ lanes[i + 10] ^ lanes[i + 15] ^
                   lanes[i + 20];
    }
#pragma GCC unroll 5
    for (int i = 0; i < 5; ++i) {
      const uint64_t t =
          columns[(i + 4) % 5] ^ RotateLeft(columns[(i + 1) % 5], 1);
#pragma GCC unroll 5
      for (int j = 0; j < 25; j += 5) lanes[j + i] ^= t;
    }
    // rho and pi
    uint64_t carried = lanes[1];
#pragma GCC unroll 24
    for (int i = 0; i < 24; ++i) {
      const int lane = kLanes[i];
      const uint64_t next = lanes[lane];
      lanes[lane] = RotateLeft(carried, kRotations[i]);
      carried = next;
    }
    // chi
#pragma GCC unroll 5
    for (int j = 0; j < 25; j += 5) {
#pragma GCC unroll 5
      for (int i = 0; i < 5; ++i) columns[i] = lanes[j + i];
#pragma GCC unroll 5
      for (int i = 0; i < 5; ++i) {
        lanes[j + i] ^= ~columns[(i + 1) % 5] & columns[(i + 2) % 5];
      }
    }
    // iota
    lanes[0] ^= round_constant;
  }
  std::memcpy(state, lanes, sizeof(lanes));
}

void XorBlock(uint64_t state[25], const uint8_t* block, size_t length) {
  for (size_t i = 0; i < length; ++i) {
    state[i / 8] ^= static_cast<uint64_t>(block[i]) << (8 * (i % 8));
  }
}

}  // namespace

Hash Keccak256(ByteSpan data) {
  constexpr size_t kRate = 136;  // (1600 - 2 * 256) / 8
  uint64_t state[25] = {};
  size_t offset = 0;
  for (; data.size() - offset >= kRate; offset += kRate) {
    XorBlock(state, data.data() + offset, kRate);
    KeccakF1600(state);
  }
  uint8_t last[kRate] = {};
  const size_t left = data.size() - offset;
  if (left > 0) std::memcpy(last, data.data() + offset, left);
  last[left] ^= 0x01;
  last[kRate - 1] ^= 0x80;
  XorBlock(state, last, kRate);
  KeccakF1600(state);
  Hash digest;
  for (size_t i = 0; i < digest.size(); ++i) {
    digest[i] = static_cast<uint8_t>(state[i / 8] >> (8 * (i % 8)));
  }
  return digest;
}

}  // namespace chainsync::evm
