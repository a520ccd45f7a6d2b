// The emulated test build of ../gemm.cc (see isa-emulation.h): a separate file so that it can
// carry its own compile options.
#include "../gemm.cc"
