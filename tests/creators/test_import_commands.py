from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from creators.models import Post

HEADER = "external_id,creator,format,published_at,observed_at,views,likes,comments,shares,is_branded\n"


def run(name: str, path) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command(name, str(path), stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_posts_from_csv(tmp_path, creator):
    path = tmp_path / "posts.csv"
    path.write_text(
        HEADER + "c1,minji,reel,2026-01-01T10:00:00+00:00,2026-01-02T10:00:00+00:00,100,10,1,1,true\n"
    )
    out, _ = run("import_posts", path)
    assert "1 accepted, 0 rejected" in out
    post = Post.objects.get()
    assert (post.views, post.is_branded) == (100, True)


def test_import_posts_reports_bad_lines_and_stores_the_rest(tmp_path, creator):
    path = tmp_path / "posts.csv"
    path.write_text(
        HEADER
        + "c1,minji,reel,2026-01-01T10:00:00+00:00,2026-01-02T10:00:00+00:00,100,10,1,1,false\n"
        + "c2,minji,story,2026-01-01T10:00:00+00:00,2026-01-02T10:00:00+00:00,-3,10,1,1,false\n"
    )
    err = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("import_posts", str(path), stdout=StringIO(), stderr=err)
    assert "1 row(s) rejected" in str(error.value)
    assert (
        "line 3" in err.getvalue()
        and "unknown_format" in err.getvalue()
        and "negative_counter" in err.getvalue()
    )
    assert list(Post.objects.values_list("external_id", flat=True)) == ["c1"]


def test_import_followers_from_csv(tmp_path, creator):
    path = tmp_path / "followers.csv"
    path.write_text("creator,followers,observed_at\nminji,4321,2026-01-02T10:00:00+00:00\n")
    run("import_followers", path)
    creator.refresh_from_db()
    assert creator.followers == 4321


def test_missing_file_is_a_clear_error(db):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_posts", "/nonexistent.csv")
