"""The machinery of ``python -m inception_course.grade``: one submission at a time, isolated.

* ``lessons``   - which exercises a lesson has, which lesson a submission is a copy of;
* ``sandbox``   - a fresh private folder, a short environment, limits, the private results channel;
* ``runner``    - the child process that runs one notebook in a fresh kernel (nbclient);
* ``kernel``    - the hidden set-up inside that kernel: sends each checker result, flags tampering;
* ``processes`` - ends every process a submission started, detached ones included.
"""
