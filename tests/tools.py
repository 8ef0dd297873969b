"""Tools the quality tests run besides Python: Java with the Nu HTML Checker, axe-core (both from
package.json, installed by ``make test`` with ``npm ci``)."""

import os
import shutil
from pathlib import Path

import pytest

NODE_MODULES = Path(__file__).resolve().parent.parent / "node_modules"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"


def missing(message):
    """Skip, or fail where CASEBOOK_REQUIRE_BROWSER is set (CI): there a missing tool is an error, not a pass."""
    if os.environ.get("CASEBOOK_REQUIRE_BROWSER"):
        pytest.fail(message)
    pytest.skip(message)


def vnu_command():
    java = shutil.which("java") or "/usr/bin/java"
    if not os.path.exists(java):
        missing("Java is not installed (apt-get install -y default-jre-headless); the HTML check needs it")
    if not VNU_JAR.exists():
        missing(f"{VNU_JAR} is missing: run `npm ci` (make test does)")
    return [java, "-jar", str(VNU_JAR)]


def axe_script():
    if not AXE.exists():
        missing(f"{AXE} is missing: run `npm ci` (make test does)")
    return str(AXE)
