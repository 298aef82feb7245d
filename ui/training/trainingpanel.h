// SPDX-License-Identifier: GPL-3.0-or-later
// The Training tab: a configuration form with presets (validated before Start), the engine launched in its own
// process (mammoscope-train through QProcess; the open dataset is prepared to shards first when they are not
// current), live charts, evaluation (confusion matrix, ROC, gallery), the run history with comparison, and the CPU vs
// GPU benchmark. Stop asks the engine to checkpoint and exit, Kill ends it after a grace period, Resume continues a
// stopped or crashed run. The engine can crash; the app and its state cannot crash with it.
#pragma once

#include "ui/datasetcontroller.h"
#include "ui/training/benchview.h"

#include "core/runs/config.h"
#include "core/runs/remote.h"
#include "core/runs/slurm.h"
#include "core/shards/stamp.h"

#include <QWidget>

#include <functional>

class QComboBox;
class QFormLayout;
class QSpinBox;
class QDoubleSpinBox;
class QCheckBox;
class QLineEdit;
class QPushButton;
class QLabel;
class QProgressBar;
class QPlainTextEdit;
class QTabWidget;
class QTableView;
class QProcess;
class QSortFilterProxyModel;

namespace ms::ui
{

class EngineProcess;
class SlurmJobRunner;
class RunCharts;
class EvalView;
class RunHistoryModel;

// The form: where the data comes from (GUI-only choices) and the run's typed configuration (core/runs), which is all
// the engine gets (its data and run folder are filled in at launch; runs::toArgs makes the command line).
struct TrainingForm {
    QString source = QStringLiteral("dataset"); // dataset | synthetic | shards
    int synthPatients = 150, synthSeed = 7;
    QString shardsDir;
    QString name;
    // Where the engine runs: "local" (this computer), "ssh" (ssh.host, which must see the runs folder and the data at
    // the same paths: a shared file system; the open dataset's shards are then prepared into the runs folder).
    // "slurm": a batch job on a SLURM cluster (sbatch here, or through ssh on ssh.host when it is set; the engine's
    // path on the nodes is ssh.engine), with slurm's partition, nodes and time limit; ranks a node = train.nprocPerNode.
    QString runOn = QStringLiteral("local");
    runs::SshTarget ssh;
    runs::SlurmJob slurm;
    runs::TrainConfig train = formDefaults();

    // The form's defaults where they differ from the engine's: the compact CNN at 96 px, lr 0.003, class weights.
    static runs::TrainConfig formDefaults()
    {
        runs::TrainConfig c;
        c.size = 96;
        c.arch = "compact";
        c.lr = 0.003;
        c.classWeights = true;
        return c;
    }
};

class TrainingPanel : public QWidget
{
    Q_OBJECT
public:
    explicit TrainingPanel(QWidget* parent = nullptr);
    ~TrainingPanel() override;

    void setDataset(DatasetPtr ds);
    // The curator's annotation store of the open dataset and its audit length: preparing shards applies its
    // corrections, and shards prepared before the last correction are prepared again.
    void setAnnotations(const QString& storePath, long long auditRows, bool hasCorrections);
    // Where new runs go (default: the app's data folder / runs).
    void setRunsRoot(const QString& dir);
    QString runsRoot() const;

    static QStringList presetNames();
    void applyPreset(const QString& name);
    TrainingForm form() const;
    void setForm(const TrainingForm& f);
    // Problems that keep Start disabled (empty when the form can start), and warnings that do not.
    QStringList validationErrors() const;
    QStringList validationWarnings() const;
    // The engine arguments for the form and a run folder (public for tests and for the README).
    QStringList trainArguments(const TrainingForm& f, const QString& dataSpec, const QString& runDir) const;

    // Shows a run folder (one started here, elsewhere, or finished long ago) and follows it.
    void openRun(const QString& dir);
    // Several runs on the same axes (the first one's evaluation stays on the Evaluation page).
    void compareRuns(const QStringList& dirs);
    QString currentRun() const { return m_currentRun; }
    bool start();
    void stop();
    void kill();
    bool resume(const QString& dir);
    void evaluate(const QString& split = QStringLiteral("test"));
    bool isBusy() const;
    void setDevices(const QList<DeviceInfo>& devices);
    // The devices of the SSH host in the form (mammoscope-train devices --json run there); the device list shows
    // them when they come. False (and the reason in the status line) when the query cannot start.
    bool queryRemoteDevices();
    // What Start shows before it submits a SLURM job (true: submit). Default: a dialog with the script.
    void setScriptConfirmation(std::function<bool(const QString& script)> confirm) { m_confirmScript = std::move(confirm); }
    SlurmJobRunner* slurmJob() const { return m_slurm; }
    // The SLURM job the form describes and its script for these engine arguments (empty with `error` when invalid).
    QString slurmScript(const TrainingForm& f, const QStringList& engineArgs, QString& error, QString* jobName = nullptr) const;
    void showPage(int page); // 0 live, 1 evaluation, 2 runs, 3 CPU vs GPU

    RunCharts* charts() const { return m_charts; }
    EvalView* evalView() const { return m_eval; }
    BenchView* benchView() const { return m_bench; }
    RunHistoryModel* history() const { return m_history; }
    QTableView* historyView() const { return m_historyView; }
    EngineProcess* engine() const { return m_engine; }
    QLabel* statusLabel() const { return m_status; }
    QPlainTextEdit* logView() const { return m_log; }
    QPushButton* startButton() const { return m_start; }
    QPushButton* stopButton() const { return m_stop; }
    QPushButton* resumeButton() const { return m_resume; }
    QPushButton* lrFindButton() const { return m_lrFind; }
    // The learning-rate range test (mammoscope-train lr-find) on the form's configuration and data: plots the curve and
    // sets the rate field to the suggestion. False (and the reason in the status line) when it cannot start.
    bool findLearningRate();

signals:
    void runStarted(const QString& dir);
    void runEnded(const QString& dir, int exitCode, const QString& message);
    void evaluationDone(const QString& dir, bool ok);
    void openSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);
    void correctSample(const QString& imageKey, int abnormality, int x, int y, int width, int height);
    void message(const QString& text);
    void learningRateFound(double lr); // the range test's suggestion, now in the form

private:
    QWidget* buildForm();
    QWidget* buildLive();
    QWidget* buildRuns();
    void updateValidation();
    void updateButtons();
    void updateInitChoices();
    void setStatus(const QString& text, bool error = false);
    void appendLog(const QString& line);
    void launchTraining(const QString& dataSpec);
    void onEngineFinished(int code, const QString& message);
    void onChartsUpdated();
    void queryDevices();
    // Starts mammoscope-train with `args` where the form says: here, or through ssh on its host.
    bool startEngine(const TrainingForm& f, const QStringList& args);
    void updateRunOn();
    void showDevices(const QList<DeviceInfo>& devices);
    QString shardsDirFor(const TrainingForm& f) const;
    shards::PreparedFrom preparedFrom(const TrainingForm& f) const; // what shards for `f` are made from
    bool shardsCurrent(const QString& dir, const TrainingForm& f) const;
    void writeShardsStamp(const QString& dir, const TrainingForm& f);
    QString uniqueRunDir(const QString& name) const;
    // The engine's --data for the form when it can be used as it is (phantoms, a shard folder, current shards of the
    // open dataset); empty with the reason otherwise.
    QString readyDataSpec(const TrainingForm& f, QString& why) const;
    void onLrFindFinished(int exitCode);

    DatasetPtr m_ds;
    QString m_annotations; // store to apply when preparing; empty: none
    long long m_annotationRows = 0;
    QString m_runsRoot;
    QString m_currentRun;
    enum class Job { None, Prepare, Train, Eval, Devices } m_job = Job::None;
    TrainingForm m_pending;
    QString m_pendingRunDir;
    QString m_pendingShards;
    EngineProcess* m_engine;
    QList<DeviceInfo> m_devices;
    SlurmJobRunner* m_slurm;
    bool m_viaSlurm = false; // the job in progress is a SLURM job (else m_engine's process)
    std::function<bool(const QString&)> m_confirmScript;
    QString lastEngineLines(int n) const;
    QList<DeviceInfo> m_localDevices; // this computer's, kept while the list shows an SSH host's
    QString m_devicesOf; // "" this computer, else the SSH host the device list came from

    // form
    QComboBox* m_preset;
    QComboBox* m_source;
    QSpinBox *m_synthPatients, *m_synthSeed;
    QLineEdit* m_shardsDir;
    QComboBox *m_task, *m_arch, *m_init, *m_mode, *m_optimizer, *m_schedule, *m_augment, *m_device;
    QSpinBox *m_size, *m_epochs, *m_batch, *m_earlyStop, *m_seed, *m_threads, *m_ranks;
    QComboBox* m_runOn;
    QLineEdit *m_sshHost, *m_sshOptions, *m_remoteEngine, *m_partition, *m_timeLimit;
    QSpinBox* m_nodes;
    QPushButton* m_queryRemote;
    QFormLayout* m_deviceForm;
    QDoubleSpinBox *m_lr, *m_backboneMult, *m_warmup, *m_weightDecay;
    QCheckBox *m_classWeights, *m_bf16, *m_channelsLast, *m_syncBn;
    QLineEdit* m_name;
    QLabel* m_validation;
    QPushButton *m_start, *m_stop, *m_kill, *m_resume;
    QPushButton* m_lrFind = nullptr;
    QProcess* m_lrFindProcess = nullptr;

    // pages
    QTabWidget* m_pages;
    QLabel* m_status;
    QLabel* m_runTitle;
    QProgressBar* m_progress;
    QPlainTextEdit* m_log;
    RunCharts* m_charts;
    EvalView* m_eval;
    BenchView* m_bench;
    RunHistoryModel* m_history;
    QSortFilterProxyModel* m_historyProxy;
    QTableView* m_historyView;
    int m_evalSeen = -1;
    int m_logEvery = 0;
};

} // namespace ms::ui
