package gguf

// E2M1Doubled holds twice the value of each 4-bit E2M1 (FP4) code, as
// ggml's kvalues_mxfp4 does (ggml-common.h): codes 0-7 are 0, 0.5, 1, 1.5,
// 2, 3, 4, 6 and codes 8-15 their negatives (code 8 gives 0). MXFP4 and
// NVFP4 multiply these integers by half the block scale; keeping the
// integers (not the halves) is what makes the products round as ggml's do
// at the ends of the scale range.
var E2M1Doubled = [16]int8{0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12}
