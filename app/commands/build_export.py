"""`charter build export` and `charter build diff`: taking a finished build's code out.

`export` writes a build's generated files to a directory or commits them to a new branch;
`diff` shows what changed in the generated code between two builds, headed by the spec changes
between their revisions. `charter.app.commands.build` mounts both on the `build` group.
"""

from __future__ import annotations

from pathlib import Path

import typer

from charter.app.commands.common import dump, fail, open_ws, out


def export_command(
    build_id: str = typer.Argument(..., metavar="BUILD_ID", help="The build to take out."),
    to: str | None = typer.Option(
        None, "--to", metavar="DIR", help="Write the generated files to this directory."
    ),
    branch: str | None = typer.Option(
        None, "--branch", metavar="NAME", help="Commit them to a new branch of your repository."
    ),
    force: bool = typer.Option(False, "--force", help="Write into a non-empty directory."),
) -> None:
    """Take a build's generated code out: to a directory, or to a new branch (one commit; your
    current branch, index, work tree and stash are not touched)."""
    from charter.graphs.build import ExportError, export_to_branch, export_to_dir

    if (to is None) == (branch is None):
        raise fail("give exactly one of --to DIR and --branch NAME", 2)
    ws = open_ws()
    try:
        if to is not None:
            count = export_to_dir(ws.builds_dir, build_id, Path(to).resolve(), force=force)
            typer.echo(f"exported {count} file(s) of build {build_id} to {to}")
        else:
            assert branch is not None
            sha = export_to_branch(ws.root, ws.builds_dir, build_id, branch)
            typer.echo(f"exported build {build_id} to branch {branch} (commit {sha[:10]})")
    except ExportError as exc:
        raise fail(str(exc), 1) from None


def diff_command(
    a: str = typer.Argument(..., metavar="BUILD_A", help="The earlier build."),
    b: str = typer.Argument(..., metavar="BUILD_B", help="The later build."),
    as_json: bool = typer.Option(False, "--json", help="Print the diff as JSON."),
) -> None:
    """What changed in the generated code from build A to build B, headed by the spec changes
    (requirement IDs) between their revisions."""
    from charter.graphs.build import ExportError, diff_builds, render_diff

    ws = open_ws()
    try:
        diff = diff_builds(ws.builds_dir, a, b)
    except ExportError as exc:
        raise fail(str(exc), 2) from None
    if as_json:
        dump(
            {
                "a": diff.a,
                "b": diff.b,
                "spec": diff.spec.as_dict(),
                "added": diff.added,
                "changed": diff.changed,
                "removed": diff.removed,
                "patch": diff.patch,
            }
        )
        return
    out(render_diff(diff))
