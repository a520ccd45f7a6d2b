// The emulated test build of ../kernel-scalar.cc (see isa-emulation.h): a separate file so that it can
// carry its own compile options.
#include "../kernel-scalar.cc"
