"""Runs the unittest suites of one folder and prints 'N passed, N failed'.

The stdlib runner is used on purpose: the machines that run the tests have
python3 and boto3 but not necessarily pytest.
"""
import os
import sys
import unittest


class CountingResult(unittest.TextTestResult):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.passed = 0

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is None:
            self.passed += 1


def main():
    folder = sys.argv[1]
    pattern = sys.argv[2] if len(sys.argv) > 2 else "test_*.py"
    if os.path.isfile(folder):
        # One file: pyrun.py tests/compat/test_x.py
        folder, pattern = os.path.split(folder)
        folder = folder or "."
    sys.path.insert(0, os.path.join(os.path.dirname(__file__)))
    suite = unittest.defaultTestLoader.discover(folder, pattern=pattern, top_level_dir=folder)
    runner = unittest.TextTestRunner(resultclass=CountingResult, verbosity=1, stream=sys.stdout)
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    print(f"{result.passed} passed, {failed} failed, {len(result.skipped)} skipped")
    sys.exit(0 if failed == 0 else 1)


if __name__ == "__main__":
    main()
