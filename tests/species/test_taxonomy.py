"""Names, taxonomies and the target test (pure)."""

from __future__ import annotations

import pytest

from deertrack_core import species as sp

WTD = "5c7ce479-8a45-40b3-ae21-7c97dfae22f5;mammalia;cetartiodactyla;cervidae;odocoileus;virginianus;white-tailed deer"
MULE = "aaaa;mammalia;cetartiodactyla;cervidae;odocoileus;hemionus;mule deer"
ELK = "bbbb;mammalia;cetartiodactyla;cervidae;cervus;canadensis;elk"
RACCOON = "cccc;mammalia;carnivora;procyonidae;procyon;lotor;raccoon"
BLANK = "f1856211-cfb7-4a5b-9158-c0f72fd09ee6;;;;;;blank"
ANIMAL = "1f689929-883d-4dae-958c-3d57ab5b6c16;;;;;;animal"
CERVID = "dddd;mammalia;cetartiodactyla;cervidae;;;cervid family"


def test_speciesnet_labels():
    taxon = sp.from_speciesnet(WTD)
    assert (taxon.genus, taxon.species, taxon.common) == (
        "odocoileus",
        "virginianus",
        "white-tailed deer",
    )
    assert taxon.scientific == "Odocoileus virginianus"
    assert sp.from_speciesnet(BLANK) is None and sp.from_speciesnet(ANIMAL) is None
    assert sp.from_speciesnet(CERVID).scientific == "Cervidae"
    assert sp.from_speciesnet("not;a;label") is None


@pytest.mark.parametrize(
    ("name", "scientific"),
    [
        ("White-tailed deer", "Odocoileus virginianus"),
        ("Odocoileus virginianus", "Odocoileus virginianus"),
        ("Leopard Cat", "Prionailurus bengalensis"),
        ("Cervidae", "Cervidae"),
        ("deer", "Cervidae"),
        ("pangolin", None),  # unknown to the table: a common name only
        ("animal", None),
    ],
)
def test_free_text_names(name, scientific):
    assert sp.from_name(name).scientific == scientific


TARGETS = [
    "white-tailed deer",
    "Odocoileus virginianus",
    "Odocoileus",
    "Cervidae",
    "elk, white-tailed deer",
]


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        (WTD, [True, True, True, True, True]),
        (MULE, [False, False, True, True, False]),
        (ELK, [False, False, False, True, True]),
        (RACCOON, [False, False, False, False, False]),
        (CERVID, [False, False, False, True, False]),
    ],
)
def test_targets_by_name_and_by_taxonomy(label, expected):
    key = sp.from_name(label).key
    assert [sp.is_target(key, sp.target_needles(t)) for t in TARGETS] == expected


def test_unknown_species_pass_the_gate():
    assert sp.is_target(None, sp.target_needles("white-tailed deer"))


def test_default_target_from_the_setting(monkeypatch):
    monkeypatch.delenv("DEERTRACK_TARGET_SPECIES", raising=False)
    assert sp.target_name() == "Odocoileus virginianus"
    monkeypatch.setenv("DEERTRACK_TARGET_SPECIES", "elk")
    assert sp.target_name() == "Cervus canadensis"
    assert sp.is_target(sp.from_name(ELK).key)


def test_scientific_name_prefers_the_recorded_taxonomy():
    assert sp.scientific_name("raccoon", sp.from_name(RACCOON).key) == "Procyon lotor"
    assert sp.scientific_name("mystery beast", None) == "mystery beast"
    assert sp.scientific_name(None, None) is None
