// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/dataset/csv.h"

#include <QtTest>

using namespace ms;

class TestCsv : public QObject
{
    Q_OBJECT
private slots:
    void cbisQuirks()
    {
        // CRLF, a quoted cell ending in an embedded newline, two header spellings of one column.
        std::string text = "patient_id,breast_density,path\r\nP_00001,3,\"a/b/000000.dcm\n\"\r\nP_00002,2,plain\r\n";
        auto t = parseCsv(text, "mass.csv");
        QVERIFY(t.ok());
        QCOMPARE(t->rows.size(), size_t(2));
        QCOMPARE(QString::fromStdString(t->rows[0].cells[2]), QStringLiteral("a/b/000000.dcm\n"));
        QCOMPARE(t->rows[0].line, 2);
        QCOMPARE(t->rows[1].line, 4); // the embedded newline moved the next record down a line
        QCOMPARE(t->column("breast density"), 1);
        QCOMPARE(t->column("BREAST_DENSITY"), 1);
        QCOMPARE(t->column("nope"), -1);
    }
    void quotesAndCommas()
    {
        auto t = parseCsv("a,b\n\"x, \"\"y\"\"\",2\n");
        QVERIFY(t.ok());
        QCOMPARE(QString::fromStdString(t->rows[0].cells[0]), QStringLiteral("x, \"y\""));
    }
    void bomAndNoTrailingNewline()
    {
        auto t = parseCsv("\xEF\xBB\xBFh1,h2\n1,2");
        QVERIFY(t.ok());
        QCOMPARE(QString::fromStdString(t->header[0]), QStringLiteral("h1"));
        QCOMPARE(t->rows.size(), size_t(1));
    }
    void unterminatedQuote()
    {
        auto t = parseCsv("a,b\n1,2\n3,\"open\n4,5\n", "bad.csv");
        QVERIFY(!t.ok());
        QCOMPARE(QString::fromStdString(t.error().where), QStringLiteral("line 3"));
        QCOMPARE(QString::fromStdString(t.error().file), QStringLiteral("bad.csv"));
    }
    void emptyFile() { QVERIFY(!parseCsv("", "e.csv").ok()); }
    void writeReadBack()
    {
        std::vector<std::string> cells { "P_1", "a,b", "q\"x", "line\n" };
        auto t = parseCsv(csvLine({ "c1", "c2", "c3", "c4" }) + csvLine(cells));
        QVERIFY(t.ok());
        QCOMPARE(t->rows[0].cells, cells);
    }
};

QTEST_GUILESS_MAIN(TestCsv)
#include "test_csv.moc"
