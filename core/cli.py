"""Flags every command shares (`--config`, `--data-dir`, `--kb`), so `ingest` and `app` agree on them."""

from __future__ import annotations

import argparse

from core.settings import Settings, load_settings


def add_common_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", help="YAML config file (default: the project's config.yaml)")
    parser.add_argument("--data-dir", help="where knowledge bases live (default: config; env ZHIKU_DATA_DIR)")
    parser.add_argument("--kb", help="knowledge base name (default: config, usually 'default')")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return load_settings(args.config, data_dir=args.data_dir, kb=args.kb)
