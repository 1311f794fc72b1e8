#pragma once
// The init layer (init_layer.cpp): the runtime's mount points in a directory of their own,
// stacked on top of the image's layers, so the container's upper dir holds only its own changes.

#include <string>
#include <vector>

namespace strata::runtime {

// Fills `dir` (created when missing; idempotent) with dev/, proc/, sys/ and etc/{hosts,
// hostname,resolv.conf} where the image (`lower_dirs`, top first) has a directory or nothing
// there. `Error{io}` on failure.
void make_init_layer(const std::string& dir, const std::vector<std::string>& lower_dirs);

} // namespace strata::runtime
