"""docs/ that are generated from the tree must be current."""
import os
import subprocess
import sys
import unittest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class TestDocs(unittest.TestCase):
    def test_services_doc_is_current(self):
        p = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "services_doc.py"),
                            "--check"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 0, p.stderr)


if __name__ == "__main__":
    unittest.main()
