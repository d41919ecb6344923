"""Tests of httpx_pingone_worker.emulator."""
