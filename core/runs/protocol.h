// SPDX-License-Identifier: GPL-3.0-or-later
// The run folder's protocol (docs/shards.md), defined once: the version, mammoscope-train's exit codes, the lines of
// metrics.jsonl as typed records (the engine writes them with toJson, the GUI reads them with fromJson), the states
// of status.json. Standard library only.
#pragma once

#include "core/common/json.h"

#include <string>

namespace ms::runs
{

// Stamped as "v" on every metrics line, status.json and config.json; readers skip lines of another version.
constexpr int kProtocolVersion = 1;

// Exit codes of mammoscope-train.
enum ExitCode { kOk = 0, kError = 1, kUsage = 2, kNotFinite = 3, kOutOfMemory = 4, kDataError = 5 };

// status.json "state"
namespace state
{
inline constexpr const char* kRunning = "running";
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kFinished = "finished";
} // namespace state

// metrics.jsonl "type": step | epoch | event | eval
namespace line
{
inline constexpr const char* kStep = "step";
inline constexpr const char* kEpoch = "epoch";
inline constexpr const char* kEvent = "event";
inline constexpr const char* kEval = "eval";
} // namespace line

// "event" names
namespace event
{
inline constexpr const char* kStarted = "started";
inline constexpr const char* kResumed = "resumed";
inline constexpr const char* kCheckpoint = "checkpoint";
inline constexpr const char* kStopped = "stopped";
inline constexpr const char* kFailed = "failed";
inline constexpr const char* kFinished = "finished";
} // namespace event

// A "step" line: the training loss averaged over the images since the previous step line.
struct StepPoint {
    long step = 0;
    double epoch = 0, loss = 0, lr = 0, imagesPerS = 0;
};

// An "epoch" line: end of an epoch (plain runs) or of one fold network's epoch (crossval).
struct EpochPoint {
    long step = 0;
    int epoch = 0;
    int fold = 0; // crossval: the fold (1..K) whose network trained, 0 for the final model and for plain runs
    std::string phase; // crossval: fold | final; empty for plain runs
    double trainLoss = 0, trainAccuracy = -1; // -1: absent
    double valLoss = -1, valAccuracy = -1, valAuc = -1, valMacroF1 = -1; // -1: absent
    double lr = 0;
    double seconds = -1; // crossval: the epoch's wall time; -1: absent
    long long deviceMemory = -1; // bytes; -1: absent
    Json val; // full validation report (confusion, per class)
};

// An "event" line. `extra` holds the event's own fields (started: epochs, steps_per_epoch, device, ...).
struct Event {
    std::string name; // started, resumed, checkpoint, stopped, failed, finished
    std::string message;
    long step = 0;
    int epoch = -1; // -1: absent
    double time = 0;
    Json extra = Json::object();
};

// The lines as JSON objects, without "v" and "time" (the writer stamps them).
Json toJson(const StepPoint& p);
Json toJson(const EpochPoint& p);
Json toJson(const Event& e);
// From a parsed line of the matching "type" (absent fields keep their defaults).
StepPoint stepFromJson(const Json& j);
EpochPoint epochFromJson(const Json& j);
Event eventFromJson(const Json& j);

} // namespace ms::runs
