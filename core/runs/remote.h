// SPDX-License-Identifier: GPL-3.0-or-later
// Starting the engine on another machine through SSH, as clusters' users do by hand: `ssh HOST mammoscope-train ...`,
// its stdout (the run's JSON lines) and stdin (stop, checkpoint, kill) carried by the SSH connection, the run folder on
// a path both machines see. This file builds the command line; nothing here talks to the network. Standard library only.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ms::runs
{

struct SshTarget {
    std::string host; // [user@]host, or an alias of ~/.ssh/config
    std::string options; // extra ssh options as one would type them ("-p 2222 -i ~/.ssh/gpu_key"); may be empty
    std::string engine = "mammoscope-train"; // the engine's path on that host (PATH lookup when no slash)
};

// `text` as one word for a POSIX shell (single-quoted, embedded quotes as '\''): what the remote shell that ssh
// starts gets back unchanged.
std::string shellQuote(std::string_view text);

// `program` and `args` as one line for a POSIX shell, every word quoted; "" with `error` when a word holds a line
// break or NUL (a shell line cannot carry it as one word).
std::string shellCommandLine(std::string_view program, const std::vector<std::string>& args, std::string& error);

// Splits options typed as on a shell command line: blanks separate words, '...' and "..." group, backslash escapes.
// false with `error` for an unbalanced quote or a character a command line cannot hold (NUL, newline).
bool splitShellWords(std::string_view text, std::vector<std::string>& out, std::string& error);

// An SSH host name the command line cannot mistake for an option or split: [user@]host with letters, digits and
// . - _ : [ ] % (IPv6 in brackets), not starting with '-'. "" when it is fine, else why not.
std::string sshHostProblem(std::string_view host);

// The local command (argv[0] = "ssh") that runs `engineArgs` with the target's engine on its host: BatchMode (no
// password prompt the panel could not answer), keep-alives so a dead link is noticed, then the target's options, the
// host and one remote command line, every word quoted. Empty with `error` when the target is not usable.
std::vector<std::string> sshCommand(const SshTarget& target, const std::vector<std::string>& engineArgs, std::string& error);

} // namespace ms::runs
