"""Background jobs: the Huey queue (:mod:`jobs.config`), the tasks (:mod:`jobs.tasks`) and the
consumer entry point (:mod:`jobs.main`, ``deertrack worker``)."""
