#pragma once
// The files a container sees as /etc/hosts, /etc/hostname and /etc/resolv.conf, written into its
// private state dir and bind-mounted by `setup_rootfs` (never written into the rootfs itself).
//
// Contents follow Docker: `hosts` is the localhost/IPv6 block (plus the host's own file on the
// host network); `hostname` is the hostname and a newline; `resolv.conf` is the host's with
// localhost nameservers removed (they are unreachable from another network namespace), falling
// back to Google's public servers when none remain, as dockerd does.
//
// Failure: `Error{io}` naming the file. Thread-safety: reentrant.

#include "runtime/container_spec.hpp"

#include <string>
#include <string_view>

namespace strata::runtime {

inline constexpr const char* k_default_hosts = "127.0.0.1\tlocalhost\n"
                                               "::1\tlocalhost ip6-localhost ip6-loopback\n"
                                               "fe00::0\tip6-localnet\n"
                                               "ff00::0\tip6-mcastprefix\n"
                                               "ff02::1\tip6-allnodes\n"
                                               "ff02::2\tip6-allrouters\n";

// Docker's filtering of the host's resolv.conf for a container (see above).
[[nodiscard]] std::string container_resolv_conf(std::string_view host_resolv_conf);

// Writes `<spec.state_dir>/{hosts,hostname,resolv.conf}` (mode 0644) from the host's files.
void write_etc_files(const ContainerSpec& spec);

} // namespace strata::runtime
