// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

namespace ms::cli
{

int cmdIndex(int argc, char** argv);
int cmdInfo(int argc, char** argv);
int cmdRender(int argc, char** argv);
int cmdSynth(int argc, char** argv);
int cmdBench(int argc, char** argv);
int cmdPrepare(int argc, char** argv);
int cmdInfer(int argc, char** argv);
int cmdScore(int argc, char** argv);
int cmdExport(int argc, char** argv);
int cmdAnnotate(int argc, char** argv);

} // namespace ms::cli
