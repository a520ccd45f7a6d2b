// The emulated test build of ../kernel-amx.cc (see isa-emulation.h): a separate file so that it can
// carry its own compile options.
#include "../kernel-amx.cc"
