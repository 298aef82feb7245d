// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/runs/remote.h"

namespace ms::runs
{

std::string shellQuote(std::string_view text)
{
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

std::string shellCommandLine(std::string_view program, const std::vector<std::string>& args, std::string& error)
{
    const std::string_view breaks("\n\r\0", 3);
    if (program.empty() || program.find_first_of(breaks) != std::string_view::npos) {
        error = "the program's path is empty or holds a line break";
        return {};
    }
    std::string line = shellQuote(program);
    for (const auto& a : args) {
        if (a.find_first_of(breaks) != std::string::npos) {
            error = "an argument holds a line break";
            return {};
        }
        line += ' ' + shellQuote(a);
    }
    return line;
}

bool splitShellWords(std::string_view text, std::vector<std::string>& out, std::string& error)
{
    out.clear();
    std::string word;
    bool inWord = false;
    char quote = 0;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (c == '\0' || c == '\n' || c == '\r') {
            error = "the SSH options hold a line break or NUL character";
            return false;
        }
        if (quote == '\'') {
            if (c == '\'')
                quote = 0;
            else
                word += c;
            continue;
        }
        if (quote == '"') {
            if (c == '"') {
                quote = 0;
            } else if (c == '\\' && i + 1 < text.size() && (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$')) {
                word += text[++i];
            } else {
                word += c;
            }
            continue;
        }
        if (c == ' ' || c == '\t') {
            if (inWord)
                out.push_back(word);
            word.clear();
            inWord = false;
            continue;
        }
        inWord = true;
        if (c == '\'' || c == '"') {
            quote = c;
        } else if (c == '\\') {
            if (i + 1 >= text.size()) {
                error = "the SSH options end with a lone backslash";
                return false;
            }
            const char next = text[++i];
            if (next == '\0' || next == '\n' || next == '\r') { // an escaped one is no less a line break or NUL
                error = "the SSH options hold a line break or NUL character";
                return false;
            }
            word += next;
        } else {
            word += c;
        }
    }
    if (quote) {
        error = std::string("the SSH options have an unclosed ") + (quote == '\'' ? "single" : "double") + " quote";
        return false;
    }
    if (inWord)
        out.push_back(word);
    return true;
}

std::string sshHostProblem(std::string_view host)
{
    if (host.empty())
        return "no SSH host given";
    if (host.size() > 255)
        return "the SSH host name is longer than 255 characters";
    if (host.front() == '-')
        return "the SSH host '" + std::string(host) + "' starts with '-' (it would be read as an option)";
    size_t at = 0;
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'
            || c == ':' || c == '[' || c == ']' || c == '%' || c == '@';
        if (!ok)
            return "the SSH host '" + std::string(host) + "' holds a character a host name cannot ('" + std::string(1, c) + "')";
        at += c == '@';
    }
    if (at > 1 || host.back() == '@' || host.front() == '@')
        return "the SSH host '" + std::string(host) + "' is not [user@]host";
    return {};
}

std::vector<std::string> sshCommand(const SshTarget& target, const std::vector<std::string>& engineArgs, std::string& error)
{
    if (const std::string p = sshHostProblem(target.host); !p.empty()) {
        error = p;
        return {};
    }
    std::vector<std::string> options;
    if (!splitShellWords(target.options, options, error))
        return {};
    for (const auto& o : options)
        if (o == "--") {
            error = "the SSH options may not hold '--' (the host and the command come after them)";
            return {};
        }
    // One remote command line: ssh joins its words with blanks and the login shell splits them again, so each word is
    // quoted; `exec` lets the engine own the connection (its exit code is ssh's).
    const std::string line = shellCommandLine(target.engine, engineArgs, error);
    if (line.empty())
        return {};
    std::vector<std::string> cmd { "ssh", "-o", "BatchMode=yes", "-o", "ServerAliveInterval=15", "-o", "ServerAliveCountMax=4" };
    cmd.insert(cmd.end(), options.begin(), options.end());
    cmd.push_back("--");
    cmd.push_back(target.host);
    cmd.push_back("exec " + line);
    return cmd;
}

} // namespace ms::runs
