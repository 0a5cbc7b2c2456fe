"""Multipart `POST /manager` uploads: `ajax=upload` (JSON) and `action=upload` (UI, 302)."""

from __future__ import annotations

from azkaban_sandbox import errors
from azkaban_sandbox.models.uploads import Upload, check_file
from azkaban_sandbox.responses.call import Call
from azkaban_sandbox.wire import FAILURE_COOKIE, Reply, pretty_json, redirect


def _upload_reply(call: Call) -> tuple[int, dict[str, str]]:
    body = call.req.multipart
    assert body is not None
    uploads = call.backend.uploads
    try:
        project = uploads.target(call.user, body.get("project"))
        part = body.files.get("file")
        if part is None:  # item.getName() on a null item
            raise errors.ServerCrash("java.lang.NullPointerException")
        check_file(part.filename, part.content_type)
        version = uploads.install(
            call.user, project, Upload(part.filename, part.payload(), part.size)
        )
    except errors.UploadRejected as exc:
        ret = {"error": exc.message}
        if exc.project is not None:
            ret.update(projectId=str(exc.project.id), version=str(exc.project.version))
        return exc.status, ret
    finally:
        body.discard()
    return 200, {"projectId": str(project.id), "version": str(version)}


def upload(call: Call) -> Reply:
    """Multipart `POST /manager` with field `ajax=upload`: statuses 200/400/410/500."""
    status, ret = _upload_reply(call)
    return pretty_json(ret, status)


def upload_form(call: Call) -> Reply:
    """Multipart `POST /manager` with `action=upload` (UI): 302 with a message cookie."""
    _, ret = _upload_reply(call)
    body = call.req.multipart
    name = body.get("project") if body else ""
    if "error" in ret:
        return redirect(f"/manager?project={name}", [(FAILURE_COOKIE, ret["error"])])
    return redirect(f"/manager?project={name}")
