// SPDX-License-Identifier: GPL-3.0-or-later
// Progress and cancellation, passed into long core operations. The GUI adapts it to a QFutureInterface,
// the CLI prints to stderr, tests count calls.
#pragma once

#include <atomic>
#include <string_view>

namespace ms
{

class Progress
{
public:
    virtual ~Progress() = default;
    // fraction in [0,1]; message is a short phrase ("reading calc_case_description_test_set.csv").
    virtual void report(double fraction, std::string_view message)
    {
        (void)fraction;
        (void)message;
    }
    virtual bool cancelled() const { return false; }
};

// A Progress that only carries a cancel flag, settable from another thread.
class CancelFlag : public Progress
{
public:
    void cancel() { m_cancel.store(true); }
    bool cancelled() const override { return m_cancel.load(); }

private:
    std::atomic<bool> m_cancel { false };
};

inline Progress& nullProgress()
{
    static Progress p;
    return p;
}

} // namespace ms
