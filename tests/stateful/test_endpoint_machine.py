"""Work progressing by polls, against a plain model of what each poll must show.

The endpoint (:class:`imagecatalog.endpoint.Endpoint` with ``ready_after_polls``)
answers through the CVM actions; the model counts showings by hand: a piece of
work in progress is shown N times in progress, then done (a failed copy gone);
a copy's ``SyncPercent`` is ``showings * 100 // (N + 1)``; the source of copies
shows ``SYNCING`` and its least advanced copy's percent while any runs, and
showing it counts as showing each copy, once per answer, however many times the
answer shows that copy.  Copies go to another region, or (encrypted) into the
image's own, so that one listing can show a source and its copy.  Failures are
rigged by rule (``fail_next``) and by ID (``fail_work``); injected errors come
and go and change nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from imagecatalog import ImageService, Limits
from imagecatalog.endpoint import Endpoint, InjectedError
from imagecatalog.exceptions import ImageCatalogError

ALICE = "100000000001"
HOME, AWAY = "ap-guangzhou", "ap-tokyo"
PRIVATE = [{"Name": "image-type", "Values": ["PRIVATE_IMAGE"]}]


@dataclass
class Work:
    kind: str  # "create" or "copy"
    region: str
    state: str
    source: str | None = None
    shown: int = 0
    fails: bool = False


class EndpointMachine(RuleBasedStateMachine):
    images = Bundle("images")

    @initialize(polls=st.integers(0, 3))
    def start(self, polls: int) -> None:
        self.polls = polls
        service = ImageService(
            public_catalog=True,
            instant=False,
            strict_accounts=False,
            limits=Limits.newest(),
            id_seed=0,  # the same IDs on every replay
        )
        self.endpoint = Endpoint(service, ready_after_polls=polls)
        public = service.describe_images(ALICE, HOME, name="Ubuntu Server 22.04")[0]
        run = self.call("RunInstances", HOME, ImageId=public.id, Placement={"Zone": f"{HOME}-1"})
        self.instance = run["InstanceIdSet"][0]
        self.model: dict[str, Work] = {}
        self.rigged = {"create": 0, "copy": 0}
        self.names = 0

    def call(self, action: str, region: str, **params: Any) -> Any:
        text = self.endpoint.answer(action, params, caller=ALICE, region=region)
        return json.loads(text)["Response"]

    # What the model says ----------------------------------------------------------------

    def running_copies(self, image_id: str) -> list[Work]:
        return [w for w in self.model.values() if w.source == image_id and w.state == "SYNCING"]

    def percent(self, work: Work) -> int:
        return min(99, work.shown * 100 // (self.polls + 1))

    def start_work(self, image_id: str, work: Work) -> None:
        if self.rigged[work.kind]:
            self.rigged[work.kind] -= 1
            work.fails = True
        self.model[image_id] = work
        if self.polls == 0:
            self.end(image_id)

    def end(self, image_id: str) -> None:
        work = self.model[image_id]
        if work.fails and work.kind == "copy":  # a failed copy is removed
            del self.model[image_id]
        else:
            work.state = "CREATEFAILED" if work.fails else "NORMAL"
        if work.source is not None and not self.running_copies(work.source):
            source = self.model.get(work.source)
            if source is not None and source.state == "SYNCING":
                source.state = "NORMAL"

    def show(self, image_ids: list[str]) -> dict[str, int | None]:
        """One answer shows *image_ids*: count each piece of work once, and
        say what percent each shown image must carry; then end what is due."""
        counted: list[Work] = []
        percents: dict[str, int | None] = {}
        for image_id in image_ids:
            work = self.model[image_id]
            copies = self.running_copies(image_id) if work.state == "SYNCING" else []
            shown = copies or ([work] if work.state in ("CREATING", "SYNCING") else [])
            for running in shown:
                if all(running is not seen for seen in counted):
                    counted.append(running)
                    running.shown += 1
            percents[image_id] = (
                min(self.percent(c) for c in shown) if work.state == "SYNCING" else None
            )
        for work in counted:
            if work.shown >= self.polls:
                key = next((k for k, w in self.model.items() if w is work), None)
                if key is not None:
                    self.end(key)
        return percents

    # Rules -------------------------------------------------------------------------------

    @rule(target=images, fail=st.booleans())
    def create(self, fail: bool) -> str:
        if fail:
            self.endpoint.fail_next("create")
            self.rigged["create"] += 1
        self.names += 1
        made = self.call("CreateImage", HOME, InstanceId=self.instance, ImageName=f"i{self.names}")
        self.start_work(made["ImageId"], Work("create", HOME, "CREATING"))
        return str(made["ImageId"])

    @rule(target=images, image=images, fail=st.booleans(), encrypted=st.booleans())
    def copy(self, image: str, fail: bool, encrypted: bool) -> Any:
        work = self.model.get(image)
        if work is None or work.region != HOME or work.kind == "copy":
            return multiple()  # copies are not copied here (encrypted ones cannot be)
        if fail:
            self.endpoint.fail_next("copy")
            self.rigged["copy"] += 1
        self.names += 1
        destination = HOME if encrypted else AWAY
        try:
            answered = self.call(
                "SyncImages",
                HOME,
                ImageIds=[image],
                DestinationRegions=[destination],
                ImageName=f"c{self.names}",
                Encrypt=encrypted,
                ImageSetRequired=True,
            )
        except ImageCatalogError as error:
            refused: object = error.code
        else:
            refused = None
        if refused is not None:  # the image is not NORMAL: busy, or failed
            assert work.state != "NORMAL", refused
            assert refused == "InvalidParameterValue.InvalidImageState"
            return multiple()  # a rigged failure waits for the next copy, in both
        assert work.state == "NORMAL"
        [copied] = answered["ImageSet"]
        work.state = "SYNCING"
        self.start_work(copied["ImageId"], Work("copy", destination, "SYNCING", source=image))
        return str(copied["ImageId"])

    @rule(image=images)
    def poll(self, image: str) -> None:
        work = self.model.get(image)
        region = HOME if work is None or work.region == HOME else AWAY
        if work is None:  # a failed copy is gone, wherever it was
            for place in (HOME, AWAY):
                assert self.call("DescribeImages", place, ImageIds=[image])["ImageSet"] == []
            return
        [shown] = self.call("DescribeImages", region, ImageIds=[image])["ImageSet"]
        assert shown["ImageState"] == work.state
        expected = self.show([image])
        assert shown["SyncPercent"] == expected[image], (shown, work)

    @rule()
    def list_home(self) -> None:
        """One listing of every image of Alice's in the home region: a source and
        its encrypted copy on one page count the copy once."""
        answered = self.call("DescribeImages", HOME, Filters=PRIVATE, Limit=100)
        listed = {image["ImageId"]: image for image in answered["ImageSet"]}
        mine = [k for k, w in self.model.items() if w.region == HOME]
        assert sorted(listed) == sorted(mine)
        for key in mine:
            assert listed[key]["ImageState"] == self.model[key].state
        expected = self.show(mine)
        for key in mine:
            assert listed[key]["SyncPercent"] == expected[key], (key, listed[key])

    @precondition(lambda self: any(w.state == "CREATING" for w in self.model.values()))
    @rule(data=st.data())
    def fail_by_id(self, data: st.DataObject) -> None:
        creating = [k for k, w in self.model.items() if w.state == "CREATING"]
        image = data.draw(st.sampled_from(creating))
        self.endpoint.fail_work(image)
        self.model[image].fails = True

    @rule(code=st.sampled_from(["RequestLimitExceeded", "InternalError", "ResourceInUse"]))
    def throttled(self, code: str) -> None:
        before = self.endpoint.service.contents()
        self.endpoint.inject_error("*", code)
        answered: object = None
        try:
            self.call("DescribeImages", HOME)
        except InjectedError as error:
            answered = error.code
        assert answered == code
        assert self.endpoint.service.contents() == before

    @invariant()
    def the_catalog_holds_what_the_model_holds(self) -> None:
        if not hasattr(self, "model"):
            return
        for image_id, work in self.model.items():
            found = self.endpoint.service.store.get_image(image_id)
            assert found is not None and found.state.value == work.state, (image_id, work)


TestEndpoint = EndpointMachine.TestCase
TestEndpoint.settings = settings(settings(), stateful_step_count=40, deadline=None)
