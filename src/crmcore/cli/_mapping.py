"""``--columns``, ``--columns-file`` and ``--input-locale``: how to read a real export.

A real export names its columns its own way. crmcore recognises the usual spellings of
Salesforce, HubSpot and Chinese CRMs by itself (``crmcore.analytics.OPPORTUNITY_COLUMNS``);
anything else is mapped on the command line (``--columns owner="Sales Rep",amount=Value``)
or in a JSON file (``{"owner": "Sales Rep"}``). A mapping always wins over the aliases.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping, Sequence

from babel.core import Locale, UnknownLocaleError

from crmcore.cli._input import InputError, UsageError

__all__ = ["add_mapping_options", "column_mapping"]


def _pairs(text: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for part in text.split(","):
        name, sep, header = part.partition("=")
        if not sep or not name.strip() or not header.strip():
            raise argparse.ArgumentTypeError(
                f"expected COLUMN=HEADER[,...] such as owner='Sales Rep', got {text!r}"
            )
        mapping[name.strip().lower()] = header.strip().strip("'\"")
    return mapping


def _locale(text: str) -> str:
    try:
        Locale.parse(text)
    except (UnknownLocaleError, ValueError, TypeError):
        raise argparse.ArgumentTypeError(f"{text!r} is not a locale known to CLDR") from None
    return text


def add_mapping_options(parser: argparse.ArgumentParser) -> None:
    """The ``--columns``, ``--columns-file`` and ``--input-locale`` options."""
    parser.add_argument(
        "--columns",
        type=_pairs,
        action="append",
        default=[],
        metavar="COLUMN=HEADER,...",
        help="which header holds a column, e.g. --columns owner='Sales Rep',amount=Value "
        "(common Salesforce, HubSpot and Chinese headers are recognised without it)",
    )
    parser.add_argument(
        "--input-locale",
        type=_locale,
        default="en_US",
        metavar="LOCALE",
        help="how numbers in the file are written: 120,000.00 (en_US, the default), "
        "120.000,00 (de_DE)... — plain decimals such as 1234.5 are read in any locale whose "
        "decimal mark is a point",
    )
    parser.add_argument(
        "--columns-file",
        metavar="MAPPING.json",
        help='the same mapping as a JSON object, e.g. {"owner": "Sales Rep"}',
    )


def column_mapping(args: argparse.Namespace, known: Sequence[str]) -> dict[str, str]:
    """The mapping of ``--columns-file`` then ``--columns`` (later wins), checked."""
    mapping: dict[str, str] = {}
    if args.columns_file is not None:
        mapping.update(_load(args.columns_file))
    for part in args.columns:
        mapping.update(part)
    unknown = sorted(set(mapping) - set(known))
    if unknown:
        raise UsageError(
            f"--columns: unknown column {', '.join(map(repr, unknown))} (use {', '.join(known)})"
        )
    return mapping


def _load(path: str) -> Mapping[str, str]:
    try:
        with open(path, encoding="utf-8-sig") as file:
            data = json.load(file)
    except FileNotFoundError:
        raise InputError(f"cannot read {path!r}: no such file") from None
    except json.JSONDecodeError as error:
        raise InputError(
            f"{path}:{error.lineno}:{error.colno}: not valid JSON ({error.msg})"
        ) from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read {path!r}: {error}") from None
    if not isinstance(data, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in data.items()
    ):
        raise InputError(f"{path}: expected a JSON object of column names to header names")
    return {k.strip().lower(): v for k, v in data.items()}
