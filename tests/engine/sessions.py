"""A real engine session that notes how it is run, for tests of how the stages use it."""


class SessionRecorder:
    """The real session (ocr_engine.runtime.Session), noting the shape of every input it is
    given and, in order, whether each run shrinks the arena ("shrink" or "warm") and each
    release of it ("release")."""

    def __init__(self, session):
        self.session = session
        self.shapes: list[tuple[int, ...]] = []
        self.events: list[str] = []

    def get_inputs(self):
        return self.session.get_inputs()

    def run(self, outputs, feeds, shrink=True):
        self.shapes.extend(value.shape for value in feeds.values())
        self.events.append("shrink" if shrink else "warm")
        return self.session.run(outputs, feeds, shrink=shrink)

    def release_arena(self):
        self.events.append("release")
        self.session.release_arena()
